"""The first help articles, in Bangla and English: the demo shop has them (`make run`), and an
operator may start from them (`flask help seed`). Each is written once per language; an
article an operator already wrote under the same link name and language is left as it is."""
from sqlalchemy import select

from backend.extensions import db
from backend.help import service
from backend.help.models import HelpArticle

ARTICLES = [
    {"slug": "license", "page_key": "home", "en": ("Activating your Bikri license", """\
Bikri works only with an active license. Without one, every Bikri page in wp-admin sends you to
the **License** page.

1. In wp-admin open **Bikri → License** (site administrators only).
2. Paste the license key from your purchase email and press **Activate**.
3. Bikri connects your shop and starts copying your WooCommerce orders. The first copy of a large
   shop takes a few minutes; the **Home** page shows how far it is.

**Moving to a new domain?** Deactivate the license on the old site first: each license covers a
set number of sites.

If the key is refused, check that it has not expired and that it is not used on too many sites.
Write to the Bikri team with your shop's address if it still fails.
"""), "bn": ("বিক্রি লাইসেন্স চালু করবেন যেভাবে", """\
সক্রিয় লাইসেন্স ছাড়া বিক্রি কাজ করে না। লাইসেন্স না থাকলে wp-admin-এর প্রতিটি বিক্রি পেজ আপনাকে
**লাইসেন্স** পেজে নিয়ে যাবে।

1. wp-admin-এ **বিক্রি → লাইসেন্স** খুলুন (শুধু সাইটের অ্যাডমিনিস্ট্রেটর পারবেন)।
2. কেনার সময় ইমেইলে পাওয়া লাইসেন্স কী বসিয়ে **চালু করুন** চাপুন।
3. বিক্রি আপনার দোকানের সাথে যুক্ত হবে এবং WooCommerce-এর অর্ডারগুলো কপি করা শুরু করবে। বড় দোকানে
   প্রথমবার কয়েক মিনিট লাগতে পারে; **হোম** পেজে অগ্রগতি দেখা যাবে।

**নতুন ডোমেইনে যাচ্ছেন?** আগে পুরনো সাইট থেকে লাইসেন্স নিষ্ক্রিয় করুন: প্রতিটি লাইসেন্সে নির্দিষ্ট
সংখ্যক সাইট চালানো যায়।

কী গ্রহণ না করলে দেখুন মেয়াদ শেষ হয়েছে কি না, কিংবা অনেক সাইটে ব্যবহার হচ্ছে কি না। তারপরও না হলে
দোকানের ঠিকানাসহ বিক্রি টিমকে লিখুন।
""")},
    {"slug": "couriers", "page_key": "couriers", "en": ("Booking parcels with your courier", """\
Bikri books parcels with **Steadfast** for you, one order or many at once.

## Connect your courier account
Open **Couriers**, enter the API key and secret key from your Steadfast merchant panel and save.
Bikri checks the keys with Steadfast at once and tells you if they are wrong.

## Book parcels
On **Orders**, tick the orders and choose **Book with courier**. Each order gets its consignment
id and tracking code; the invoice prints the real consignment id. An order that cannot be booked
(a missing phone number or address, say) is listed with what to fix, and nothing is half-done.

## Follow deliveries
Bikri asks the courier for every parcel's status on its own and moves the order along
(delivered, returned). The **Couriers** page shows your courier balance and the delivery report:
how many parcels were delivered, returned and paid out.
"""), "bn": ("কুরিয়ারে পার্সেল বুকিং", """\
বিক্রি আপনার হয়ে **স্টেডফাস্ট** কুরিয়ারে পার্সেল বুক করে, একটি অর্ডার বা একসাথে অনেকগুলো।

## কুরিয়ার অ্যাকাউন্ট যুক্ত করুন
**কুরিয়ার** পেজ খুলে স্টেডফাস্ট মার্চেন্ট প্যানেলের এপিআই কী ও সিক্রেট কী বসিয়ে সংরক্ষণ করুন।
বিক্রি সঙ্গে সঙ্গে স্টেডফাস্টের কাছে কী যাচাই করে, ভুল হলে জানিয়ে দেয়।

## পার্সেল বুক করুন
**অর্ডার** পেজে অর্ডারগুলো টিক দিয়ে **কুরিয়ারে বুক করুন** বেছে নিন। প্রতিটি অর্ডার তার কনসাইনমেন্ট আইডি
ও ট্র্যাকিং কোড পায়; ইনভয়েসে আসল কনসাইনমেন্ট আইডি ছাপা হয়। কোনো অর্ডার বুক করা না গেলে (যেমন ফোন নম্বর
বা ঠিকানা নেই) কী ঠিক করতে হবে তা দেখানো হয়, কিছুই অর্ধেক হয়ে থাকে না।

## ডেলিভারির খোঁজ
বিক্রি নিজেই প্রতিটি পার্সেলের অবস্থা কুরিয়ারের কাছে জেনে অর্ডার এগিয়ে নেয় (ডেলিভারি হয়েছে, ফেরত এসেছে)।
**কুরিয়ার** পেজে কুরিয়ার ব্যালেন্স ও ডেলিভারি রিপোর্ট দেখা যায়: কতগুলো পার্সেল ডেলিভারি হয়েছে, ফেরত এসেছে
ও টাকা পরিশোধ হয়েছে।
""")},
    {"slug": "sms", "page_key": "sms", "en": ("SMS: balance, recharge and costs", """\
Every SMS Bikri sends (order updates, checkout codes, reminders) is paid from your shop's
prepaid **SMS balance**.

- **Recharge** on the **SMS** page with bKash, or ask for a manual recharge; the balance grows
  as soon as the payment is confirmed.
- Each message costs the price per part shown on the page; a long message or one in Bangla
  takes more parts. The page shows what your messages cost by day and by purpose.
- With no balance, SMS options are switched off and show a **Recharge** button, so nothing is
  set up that cannot be sent.

Your own code can send SMS too: the plugin's `send_sms( $phone, $content )` helper sends
through Bikri and is paid from the same balance.
"""), "bn": ("এসএমএস: ব্যালেন্স, রিচার্জ ও খরচ", """\
বিক্রি যে এসএমএস পাঠায় (অর্ডারের খবর, চেকআউটের কোড, রিমাইন্ডার) তার খরচ দোকানের প্রিপেইড
**এসএমএস ব্যালেন্স** থেকে কাটা হয়।

- **এসএমএস** পেজে বিকাশ দিয়ে **রিচার্জ** করুন, অথবা ম্যানুয়াল রিচার্জের অনুরোধ পাঠান; পেমেন্ট নিশ্চিত
  হলেই ব্যালেন্স বাড়ে।
- প্রতিটি বার্তার খরচ পেজে দেখানো প্রতি অংশের দাম অনুযায়ী; লম্বা বার্তা বা বাংলা বার্তায় বেশি অংশ লাগে।
  কোন দিন কোন কাজে কত খরচ হলো, পেজেই দেখা যায়।
- ব্যালেন্স না থাকলে এসএমএসের অপশনগুলো বন্ধ থাকে আর **রিচার্জ** বাটন দেখায়, যাতে এমন কিছু চালু না হয়
  যা পাঠানো যাবে না।

আপনার নিজের কোড থেকেও এসএমএস পাঠানো যায়: প্লাগইনের `send_sms( $phone, $content )` হেল্পার বিক্রির
মাধ্যমে পাঠায়, খরচ একই ব্যালেন্স থেকে।
""")},
    {"slug": "checkout-protection", "page_key": "checkout", "en": ("Checkout protection: OTP and the blacklist", """\
Fake orders cost you delivery charges. Checkout protection stops them before they are placed.

- **Phone code (OTP):** the shopper gets a code by SMS and types it at checkout; the order is
  placed only with the right code. You choose when to ask: every order, or only cash on
  delivery. Each code is an SMS paid from your balance.
- **Blacklist:** phone numbers, emails or addresses you never want to deliver to again. Their
  checkout is refused with a polite message.
- **Fraud check:** see a phone's delivery history across couriers (how many parcels delivered
  and returned) before you confirm an order.

The **OTP report** shows how many codes were sent, how many shoppers finished checkout, and what
it cost.
"""), "bn": ("চেকআউট সুরক্ষা: ওটিপি ও ব্ল্যাকলিস্ট", """\
ভুয়া অর্ডারে ডেলিভারি চার্জ গচ্চা যায়। চেকআউট সুরক্ষা অর্ডার হওয়ার আগেই এগুলো আটকায়।

- **ফোন কোড (ওটিপি):** ক্রেতা এসএমএসে একটি কোড পান এবং চেকআউটে সেটি লেখেন; সঠিক কোড ছাড়া অর্ডার হয় না।
  কখন কোড চাইবেন আপনি ঠিক করুন: প্রতিটি অর্ডারে, নাকি শুধু ক্যাশ অন ডেলিভারিতে। প্রতিটি কোড একটি এসএমএস,
  খরচ আপনার ব্যালেন্স থেকে।
- **ব্ল্যাকলিস্ট:** যেসব ফোন নম্বর, ইমেইল বা ঠিকানায় আর ডেলিভারি দিতে চান না। তাদের চেকআউট ভদ্রভাবে
  ফিরিয়ে দেওয়া হয়।
- **ফ্রড চেক:** অর্ডার নিশ্চিত করার আগে দেখুন একটি ফোন নম্বরের ডেলিভারির ইতিহাস, সব কুরিয়ার মিলিয়ে (কতগুলো
  পার্সেল ডেলিভারি হয়েছে, কতগুলো ফেরত)।

**ওটিপি রিপোর্ট** দেখায় কতগুলো কোড গেছে, কতজন ক্রেতা চেকআউট শেষ করেছেন, আর খরচ কত হলো।
""")},
]


def seed_articles(by: str = "Bikri") -> int:
    """Write (published) each article that does not exist yet; how many were written."""
    written = 0
    for entry in ARTICLES:
        for language in ("bn", "en"):
            exists = db.session.execute(select(HelpArticle.id).where(
                HelpArticle.slug == entry["slug"], HelpArticle.language == language)).first()
            if exists:
                continue
            title, body = entry[language]
            article = service.save_article(None, {"slug": entry["slug"], "language": language, "title": title,
                                                  "body": body, "page_key": entry["page_key"]}, by=by)
            service.set_published(article, True)
            written += 1
    return written
