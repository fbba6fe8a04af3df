"""Fill Bangla (bn) translations for the service's strings.

Run after `pybabel update`; it keeps existing translations and adds the ones listed here.
New UI strings get their Bangla here (or from a translator) in the same change.
"""
from pathlib import Path

from babel.messages.pofile import read_po, write_po

BN = {
    "Administrator": "অ্যাডমিনিস্ট্রেটর",
    "Manager": "ম্যানেজার",
    "Staff": "স্টাফ",
    "Active": "সক্রিয়",
    "Suspended": "স্থগিত",
    "Revoked": "বাতিল",
    "Expired": "মেয়াদ শেষ",
    "Home": "হোম",
    "License": "লাইসেন্স",
    "Status": "অবস্থা",
    "Site": "সাইট",
    "Plan": "প্ল্যান",
    "Expires": "মেয়াদ শেষ হবে",
    "Never": "কখনো না",
    "Sites": "সাইট",
    "%(used)s of %(allowed)s in use": "%(allowed)s টির মধ্যে %(used)s টি ব্যবহৃত",
    "Refresh": "রিফ্রেশ",
    "Bikri": "বিক্রি",
    "Your Bikri session has ended. Reload the page in WordPress.": "আপনার বিক্রি সেশন শেষ হয়েছে। ওয়ার্ডপ্রেসে পেজটি আবার লোড করুন।",
    "This page has expired": "এই পেজের মেয়াদ শেষ",
    "For your security, each Bikri page link works once and only for a minute. Reload the page in WordPress to open it again.":
        "নিরাপত্তার জন্য বিক্রির প্রতিটি পেজ লিংক একবার এবং মাত্র এক মিনিটের জন্য কাজ করে। আবার খুলতে ওয়ার্ডপ্রেসে পেজটি রিলোড করুন।",
    "Your role in this shop cannot open this page. Ask the shop's administrator.":
        "এই দোকানে আপনার ভূমিকা দিয়ে এই পেজ খোলা যায় না। দোকানের অ্যাডমিনিস্ট্রেটরকে বলুন।",
    "Bikri — Home": "বিক্রি — হোম",
    "Welcome, %(name)s": "স্বাগতম, %(name)s",
    "Loading…": "লোড হচ্ছে…",
    "Bikri pages": "বিক্রির পেজসমূহ",
    "More pages (orders, couriers, SMS, dashboard) appear here as they are switched on for your shop.":
        "আপনার দোকানের জন্য চালু হলে আরও পেজ (অর্ডার, কুরিয়ার, এসএমএস, ড্যাশবোর্ড) এখানে দেখা যাবে।",
    "Sign in": "সাইন ইন",
    "Sign out": "সাইন আউট",
    "Password": "পাসওয়ার্ড",
    "Email": "ইমেইল",
    "Wrong email or password.": "ইমেইল বা পাসওয়ার্ড ভুল।",
    "The form has expired. Go back, reload the page and try again.": "ফর্মের মেয়াদ শেষ। ফিরে গিয়ে পেজটি রিলোড করে আবার চেষ্টা করুন।",
    "Mobile number": "মোবাইল নম্বর",
    "Message": "মেসেজ",
    "Amount": "পরিমাণ",
    "Purpose": "উদ্দেশ্য",
    "Waiting for payment": "পেমেন্টের অপেক্ষায়",
    "Completed": "সম্পন্ন",
    "Failed": "ব্যর্থ",
    "Cancelled": "বাতিল",
    "SMS": "এসএমএস",
    "Bikri — SMS": "বিক্রি — এসএমএস",
    "Dates look like 2026-03-01.": "তারিখ লিখুন এভাবে: 2026-03-01।",
    "The start date is after the end date.": "শুরুর তারিখ শেষের তারিখের পরে।",
    "Choose at most a year.": "সর্বোচ্চ এক বছর বেছে নিন।",
    "Enter an amount in taka, like 500.": "টাকার পরিমাণ লিখুন, যেমন 500।",
    "When": "কখন",
    "Balance": "ব্যালেন্স",
    "SMS balance": "এসএমএস ব্যালেন্স",
    "৳ %(amount)s": "৳ %(amount)s",
    "About %(n)s English SMS left. Price per SMS part: %(gsm)s ৳ English, %(unicode)s ৳ Bangla.":
        "প্রায় %(n)s টি ইংরেজি এসএমএস বাকি। প্রতি এসএমএস অংশের দাম: ইংরেজি %(gsm)s ৳, বাংলা %(unicode)s ৳।",
    "No SMS balance: SMS options stay off until you recharge.": "এসএমএস ব্যালেন্স নেই: রিচার্জ না করা পর্যন্ত এসএমএস অপশন বন্ধ থাকবে।",
    "Recharge amount (৳)": "রিচার্জের পরিমাণ (৳)",
    "Recharge with bKash": "বিকাশে রিচার্জ করুন",
    "Ask the shop's administrator to recharge.": "রিচার্জের জন্য দোকানের অ্যাডমিনিস্ট্রেটরকে বলুন।",
    "%(count)s SMS (%(parts)s parts) cost ৳ %(cost)s in this range.": "এই সময়ে %(count)s টি এসএমএস (%(parts)s অংশ) খরচ ৳ %(cost)s।",
    "To": "প্রাপক",
    "Parts": "অংশ",
    "Cost": "খরচ",
    "No SMS in this range.": "এই সময়ে কোনো এসএমএস নেই।",
    "%(chars)s characters · %(parts)s SMS · %(kind)s · ৳ %(cost)s": "%(chars)s অক্ষর · %(parts)s এসএমএস · %(kind)s · ৳ %(cost)s",
    "Bangla (Unicode)": "বাংলা (ইউনিকোড)",
    "English (GSM)": "ইংরেজি (GSM)",
    "Too long: at most 10 SMS.": "খুব বড়: সর্বোচ্চ ১০টি এসএমএস।",
    "Recharge of ৳ %(amount)s started.": "৳ %(amount)s রিচার্জ শুরু হয়েছে।",
    "Pay with bKash": "বিকাশে পেমেন্ট করুন",
    "Method": "মাধ্যম",
    "No recharges yet.": "এখনো কোনো রিচার্জ নেই।",
    "Sent to %(phone)s. %(cost)s ৳ used; balance %(balance)s ৳.": "%(phone)s নম্বরে পাঠানো হয়েছে। খরচ %(cost)s ৳; ব্যালেন্স %(balance)s ৳।",
    "Not sent: %(reason)s. Nothing was charged.": "পাঠানো যায়নি: %(reason)s। কোনো টাকা কাটা হয়নি।",
    "Send an SMS": "এসএমএস পাঠান",
    "What SMS cost": "এসএমএস খরচ",
    "From": "থেকে",
    "Show": "দেখুন",
    "Cost (taka)": "খরচ (টাকা)",
    "Messages": "মেসেজ",
    "SMS cost by day and purpose": "দিন ও উদ্দেশ্য অনুযায়ী এসএমএস খরচ",
    "Recharges": "রিচার্জ",
    "Send": "পাঠান",
    "Bikri — SMS recharge": "বিক্রি — এসএমএস রিচার্জ",
    "We could not find this payment. If money left your bKash account, contact Bikri support with the bKash transaction ID.":
        "এই পেমেন্টটি খুঁজে পাওয়া যায়নি। বিকাশ থেকে টাকা কেটে থাকলে ট্রানজেকশন আইডি দিয়ে বিক্রি সাপোর্টে যোগাযোগ করুন।",
    "Recharge complete": "রিচার্জ সম্পন্ন",
    "৳ %(amount)s was added to your SMS balance. The balance is now ৳ %(balance)s.": "৳ %(amount)s আপনার এসএমএস ব্যালেন্সে যোগ হয়েছে। এখন ব্যালেন্স ৳ %(balance)s।",
    "bKash transaction: %(trx)s": "বিকাশ ট্রানজেকশন: %(trx)s",
    "You can close this tab and return to WordPress.": "এই ট্যাব বন্ধ করে ওয়ার্ডপ্রেসে ফিরে যেতে পারেন।",
    "We are still confirming this payment with bKash. Your balance updates within a few minutes; you can close this tab.":
        "বিকাশের সাথে পেমেন্টটি যাচাই করা হচ্ছে। কয়েক মিনিটের মধ্যে ব্যালেন্স আপডেট হবে; ট্যাবটি বন্ধ করতে পারেন।",
    "The recharge was not completed (%(status)s). No money was added and none was taken by Bikri.":
        "রিচার্জ সম্পন্ন হয়নি (%(status)s)। কোনো টাকা যোগ হয়নি এবং বিক্রি কোনো টাকা নেয়নি।",
    # checkout protection (issue 7)
    "Checkout protection": "চেকআউট সুরক্ষা",
    "Blacklist": "ব্ল্যাকলিস্ট",
    "OTP report": "ওটিপি রিপোর্ট",
    "Bikri — Checkout protection": "বিক্রি — চেকআউট সুরক্ষা",
    "Bikri — Blacklist": "বিক্রি — ব্ল্যাকলিস্ট",
    "Bikri — OTP report": "বিক্রি — ওটিপি রিপোর্ট",
    "Your SMS balance has run out, so checkout codes are not being sent. Orders still go through, marked “OTP skipped: no balance”.":
        "আপনার এসএমএস ব্যালেন্স শেষ, তাই চেকআউটে কোড পাঠানো যাচ্ছে না। অর্ডার তবুও নেওয়া হচ্ছে, “OTP skipped: no balance” চিহ্ন দিয়ে।",
    "Recharge": "রিচার্জ",
    "Enter a whole number.": "একটি পূর্ণ সংখ্যা লিখুন।",
    "Recharge your SMS balance before switching checkout codes on.": "চেকআউট কোড চালু করার আগে এসএমএস ব্যালেন্স রিচার্জ করুন।",
    "Save the file as CSV in UTF-8 and try again.": "ফাইলটি UTF-8 এ CSV হিসেবে সেভ করে আবার চেষ্টা করুন।",
    "Choose a CSV file or paste its rows.": "একটি CSV ফাইল বেছে নিন বা তার সারিগুলো পেস্ট করুন।",
    "Completed OTP": "ওটিপি সম্পন্ন",
    "Did not complete": "সম্পন্ন করেনি",
    "Skipped: no SMS balance": "বাদ: এসএমএস ব্যালেন্স নেই",
    "Phone": "ফোন",
    "OTP": "ওটিপি",
    "Codes asked for": "কোড চাওয়া হয়েছে",
    "First asked": "প্রথম চাওয়া",
    "Last asked": "শেষ চাওয়া",
    "Verified at": "যাচাইয়ের সময়",
    "Orders": "অর্ডার",
    "Blocked: %(value)s": "ব্লক করা হয়েছে: %(value)s",
    "Already blocked: %(value)s": "আগেই ব্লক করা: %(value)s",
    "IP address or network": "আইপি ঠিকানা বা নেটওয়ার্ক",
    "Nobody is blocked.": "কাউকে ব্লক করা হয়নি।",
    "Type": "ধরন",
    "Value": "মান",
    "Reason": "কারণ",
    "Added by": "যোগ করেছেন",
    "Added": "যোগের সময়",
    "Unblock %(value)s?": "%(value)s আনব্লক করবেন?",
    "Unblock": "আনব্লক",
    "%(added)s added, %(exists)s already there, %(errors)s with errors.": "%(added)s টি যোগ হয়েছে, %(exists)s টি আগেই ছিল, %(errors)s টিতে ভুল।",
    "Row": "সারি",
    "Result": "ফলাফল",
    "Already blocked": "আগেই ব্লক করা",
    "Not added": "যোগ হয়নি",
    "Page %(page)s of %(pages)s (%(total)s in all)": "পেজ %(page)s / %(pages)s (মোট %(total)s)",
    "Previous": "আগের",
    "Next": "পরের",
    "No checkout codes were asked for in this range.": "এই সময়ে কোনো চেকআউট কোড চাওয়া হয়নি।",
    "Ordered": "অর্ডার করেছে",
    "No order": "অর্ডার নেই",
    "Saved. The shop's checkout uses these settings within a minute.": "সেভ হয়েছে। এক মিনিটের মধ্যে দোকানের চেকআউটে এই সেটিংস কাজ করবে।",
    "Some fields need fixing; see below.": "কিছু ঘর ঠিক করতে হবে; নিচে দেখুন।",
    "Verify the phone with a code": "কোড দিয়ে ফোন যাচাই",
    "Shoppers get a 6-digit code by SMS and must type it before the order goes through, on the classic and the block checkout.":
        "ক্রেতা এসএমএসে ৬ অঙ্কের একটি কোড পান এবং অর্ডার দেওয়ার আগে সেটি লিখতে হয়, ক্লাসিক ও ব্লক দুই চেকআউটেই।",
    "SMS balance: ৳ %(amount)s. One code costs ৳ %(price)s.": "এসএমএস ব্যালেন্স: ৳ %(amount)s। প্রতিটি কোডের খরচ ৳ %(price)s।",
    "Ask for a code at checkout": "চেকআউটে কোড চাওয়া হবে",
    "Recharge your SMS balance to switch checkout codes on: codes are paid from it.":
        "চেকআউট কোড চালু করতে এসএমএস ব্যালেন্স রিচার্জ করুন: কোডের খরচ সেখান থেকেই যায়।",
    "No code for customers who verified before and had an order delivered": "আগে যাচাই করা এবং ডেলিভারি পাওয়া ক্রেতাদের কোড লাগবে না",
    "If the balance runs out while codes are on, checkout keeps working: orders go through marked “OTP skipped: no balance”, and you are told here and in WordPress.":
        "কোড চালু থাকা অবস্থায় ব্যালেন্স শেষ হলেও চেকআউট চলবে: অর্ডারে “OTP skipped: no balance” চিহ্ন থাকবে, আর আপনাকে এখানে ও ওয়ার্ডপ্রেসে জানানো হবে।",
    "Limits against SMS abuse": "এসএমএস অপব্যবহার রোধের সীমা",
    "Seconds between two codes to one number": "একই নম্বরে দুটি কোডের মাঝে কত সেকেন্ড",
    "Codes per number per hour": "প্রতি নম্বরে ঘণ্টায় কতটি কোড",
    "Codes per connection (IP) per hour": "প্রতি সংযোগে (আইপি) ঘণ্টায় কতটি কোড",
    "Wrong tries per code": "প্রতি কোডে কতবার ভুল চেষ্টা",
    "Seconds a code stays valid": "কোড কত সেকেন্ড বৈধ থাকবে",
    "The SMS": "এসএমএস",
    "Language of the SMS": "এসএমএসের ভাষা",
    "Bangla": "বাংলা",
    "English": "ইংরেজি",
    "Shop name in the SMS": "এসএমএসে দোকানের নাম",
    "Bangla text": "বাংলা লেখা",
    "English text": "ইংরেজি লেখা",
    "Leave empty for the text shown. Use {code}, {shop} and {minutes}. Bangla costs more per SMS: 70 characters fit in one.":
        "দেখানো লেখাটি রাখতে খালি রাখুন। {code}, {shop} ও {minutes} ব্যবহার করুন। বাংলায় খরচ বেশি: এক এসএমএসে ৭০ অক্ষর ধরে।",
    "Shoppers receive:": "ক্রেতা পাবেন:",
    "Blocked shoppers": "ব্লক করা ক্রেতা",
    "Message for a blocked shopper (Bangla is fine)": "ব্লক করা ক্রেতার জন্য বার্তা (বাংলায় লিখতে পারেন)",
    "We cannot take this order online. Please contact the shop.": "এই অর্ডারটি অনলাইনে নেওয়া যাচ্ছে না। দোকানের সাথে যোগাযোগ করুন।",
    "Edit the blacklist": "ব্ল্যাকলিস্ট সম্পাদনা",
    "Save": "সেভ করুন",
    "Shoppers with these phone numbers, emails or IP addresses cannot place an order at checkout; they see the message set on the Checkout protection page.":
        "এই ফোন নম্বর, ইমেইল বা আইপি ঠিকানার ক্রেতারা চেকআউটে অর্ডার দিতে পারবেন না; তাঁরা চেকআউট সুরক্ষা পেজে লেখা বার্তাটি দেখবেন।",
    "Add": "যোগ করুন",
    "Find out from the value": "মান দেখে বুঝে নিন",
    "Phone, email or IP": "ফোন, ইমেইল বা আইপি",
    "Block": "ব্লক করুন",
    "Import a CSV": "CSV ইমপোর্ট",
    "One entry a row: type (phone, email or ip; may be empty), value, reason. A single column of values works too.":
        "প্রতি সারিতে একটি: ধরন (phone, email বা ip; খালি রাখা যায়), মান, কারণ। শুধু মানের একটি কলামও চলবে।",
    "CSV file": "CSV ফাইল",
    "…or paste rows": "…অথবা সারি পেস্ট করুন",
    "fake orders": "ভুয়া অর্ডার",
    "Import": "ইমপোর্ট",
    "Blocked": "ব্লক করা",
    "All": "সব",
    "Search": "খুঁজুন",
    "Every number that asked for a checkout code: whether the shopper completed the code, and whether an order followed.":
        "যেসব নম্বর চেকআউট কোড চেয়েছে: ক্রেতা কোড সম্পন্ন করেছেন কি না, এবং পরে অর্ডার হয়েছে কি না।",
    "Download CSV": "CSV ডাউনলোড",
}

# Plural messages: (singular id) -> (one, other)
BN_PLURAL = {
    "%(num)s order": ("%(num)s টি অর্ডার", "%(num)s টি অর্ডার"),
}


def main():
    path = Path(__file__).resolve().parent.parent / "backend/translations/bn/LC_MESSAGES/messages.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale="bn")
    for message in catalog:
        if isinstance(message.id, tuple):
            if message.id[0] in BN_PLURAL and (message.fuzzy or not any(message.string)):
                message.string = BN_PLURAL[message.id[0]]
                message.flags.discard("fuzzy")
        # a fuzzy entry is pybabel's guess from a similar string, usually wrong: ours wins
        elif message.id in BN and (message.fuzzy or not message.string):
            message.string = BN[message.id]
            message.flags.discard("fuzzy")
    with path.open("wb") as f:
        write_po(f, catalog, width=100)


if __name__ == "__main__":
    main()
