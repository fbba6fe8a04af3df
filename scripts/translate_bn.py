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
