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
}


def main():
    path = Path(__file__).resolve().parent.parent / "backend/translations/bn/LC_MESSAGES/messages.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale="bn")
    for message in catalog:
        if message.id and not message.string and message.id in BN:
            message.string = BN[message.id]
    with path.open("wb") as f:
        write_po(f, catalog, width=100)


if __name__ == "__main__":
    main()
