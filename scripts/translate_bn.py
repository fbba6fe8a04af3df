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
    # Couriers
    "Couriers": "কুরিয়ার",
    "Bikri — Couriers": "বিক্রি — কুরিয়ার",
    "Courier": "কুরিয়ার",
    "All couriers": "সব কুরিয়ার",
    "Waiting for the courier's review": "কুরিয়ারের যাচাইয়ের অপেক্ষায়",
    "On the way": "পথে আছে",
    "On hold": "হোল্ডে আছে",
    "Delivered — awaiting the courier's approval": "ডেলিভারি হয়েছে — কুরিয়ারের অনুমোদনের অপেক্ষায়",
    "Partly delivered — awaiting the courier's approval": "আংশিক ডেলিভারি — কুরিয়ারের অনুমোদনের অপেক্ষায়",
    "Cancelled — awaiting the courier's approval": "বাতিল — কুরিয়ারের অনুমোদনের অপেক্ষায়",
    "Unclear — awaiting the courier's approval": "অস্পষ্ট — কুরিয়ারের অনুমোদনের অপেক্ষায়",
    "Delivered": "ডেলিভারি হয়েছে",
    "Partly delivered": "আংশিক ডেলিভারি",
    "Cancelled (returned to you)": "বাতিল (আপনার কাছে ফেরত)",
    "Returned": "ফেরত এসেছে",
    "Unclear — ask the courier's support": "অস্পষ্ট — কুরিয়ারের সাপোর্টে জিজ্ঞেস করুন",
    "API key": "এপিআই কী",
    "Secret key": "সিক্রেট কী",
    "Order number": "অর্ডার নম্বর",
    "Customer's name": "গ্রাহকের নাম",
    "Other mobile number": "অন্য মোবাইল নম্বর",
    "Address": "ঠিকানা",
    "Amount to collect": "আদায়যোগ্য টাকা",
    "Delivery": "ডেলিভারি",
    "Packets": "প্যাকেট",
    "Default courier": "ডিফল্ট কুরিয়ার",
    "Note for the courier": "কুরিয়ারের জন্য নোট",
    "Round the amount to collect": "আদায়যোগ্য টাকা রাউন্ড করুন",
    "Check statuses every": "স্ট্যাটাস দেখা হবে প্রতি",
    "WooCommerce status": "উকমার্স স্ট্যাটাস",
    "Not asked this time (the courier's rate limit); the next check includes it.":
        "এবার জিজ্ঞেস করা হয়নি (কুরিয়ারের অনুরোধ-সীমা); পরের যাচাইয়ে এটি থাকবে।",
    "The courier is not answering; it is asked again later.": "কুরিয়ার উত্তর দিচ্ছে না; পরে আবার জিজ্ঞেস করা হবে।",
    "Final status; the courier is not asked again.": "চূড়ান্ত স্ট্যাটাস; কুরিয়ারকে আর জিজ্ঞেস করা হয় না।",
    "Checked less than a minute ago.": "এক মিনিটেরও কম আগে যাচাই করা হয়েছে।",
    "Connect the courier account (or fix its keys) to check this parcel.":
        "এই পার্সেল যাচাই করতে কুরিয়ার অ্যাকাউন্ট সংযুক্ত করুন (বা এর কী ঠিক করুন)।",
    "Date": "তারিখ",
    "Booked": "বুক হয়েছে",
    "Returned or cancelled": "ফেরত বা বাতিল",
    "In transit": "পথে আছে",
    "Awaiting approval": "অনুমোদনের অপেক্ষায়",
    "Delivery ratio": "ডেলিভারির হার",
    "COD expected (৳)": "প্রত্যাশিত সিওডি (৳)",
    "COD collected (৳)": "আদায়কৃত সিওডি (৳)",
    "Total": "মোট",
    "Some fields are missing or invalid.": "কিছু ঘর খালি বা ভুল।",
    "Bikri does not work with this courier (yet).": "বিক্রি এই কুরিয়ারের সাথে (এখনো) কাজ করে না।",
    "Enter the %(label)s from your %(courier)s account.": "আপনার %(courier)s অ্যাকাউন্ট থেকে %(label)s লিখুন।",
    "This is longer than any %(courier)s key; copy it again.": "এটি যেকোনো %(courier)s কী-এর চেয়ে লম্বা; আবার কপি করুন।",
    "%(courier)s did not accept these keys, so nothing was saved. %(reason)s":
        "%(courier)s এই কী গ্রহণ করেনি, তাই কিছুই সেভ হয়নি। %(reason)s",
    "We could not check the keys with %(courier)s just now, so nothing was saved. %(reason)s":
        "এই মুহূর্তে %(courier)s-এর সাথে কী যাচাই করা যায়নি, তাই কিছুই সেভ হয়নি। %(reason)s",
    "Connect your %(courier)s account first.": "আগে আপনার %(courier)s অ্যাকাউন্ট সংযুক্ত করুন।",
    "%(courier)s did not tell us the balance just now. %(reason)s": "%(courier)s এই মুহূর্তে ব্যালেন্স জানায়নি। %(reason)s",
    "Choose one of the couriers listed.": "তালিকার একটি কুরিয়ার বেছে নিন।",
    "Keep the note under 250 characters; couriers cut longer ones.": "নোট ২৫০ অক্ষরের মধ্যে রাখুন; কুরিয়ার এর বেশি কেটে দেয়।",
    "Choose home delivery or pick-up at the courier's point.": "হোম ডেলিভারি অথবা কুরিয়ারের পয়েন্ট থেকে সংগ্রহ বেছে নিন।",
    "Round to 1, 5 or 10 taka, or not at all.": "১, ৫ বা ১০ টাকায় রাউন্ড করুন, অথবা একেবারেই না।",
    "Check between every %(low)s minutes and once a day (%(high)s minutes).":
        "প্রতি %(low)s মিনিট থেকে দিনে একবার (%(high)s মিনিট) এর মধ্যে বেছে নিন।",
    "Unknown delivery status or WooCommerce status: %(names)s.": "অজানা ডেলিভারি স্ট্যাটাস বা উকমার্স স্ট্যাটাস: %(names)s।",
    "Order %(invoice)s already has consignment %(first)s with %(courier)s; %(courier)s now also reports %(second)s. Cancel one of them in the %(courier)s portal.":
        "অর্ডার %(invoice)s-এর জন্য %(courier)s-এ আগেই কনসাইনমেন্ট %(first)s আছে; %(courier)s এখন %(second)s-ও দেখাচ্ছে। %(courier)s পোর্টালে একটি বাতিল করুন।",
    "Leave as it is": "যেমন আছে রাখুন",
    "Processing": "প্রসেসিং",
    "Refunded": "টাকা ফেরত",
    "Tick the parcels to check first.": "আগে যাচাই করার পার্সেলগুলোতে টিক দিন।",
    "Connected: %(courier)s accepted the keys. They are stored encrypted.":
        "সংযুক্ত হয়েছে: %(courier)s কী গ্রহণ করেছে। কী এনক্রিপ্ট করে রাখা হয়েছে।",
    "Disconnected. The keys are deleted; your parcels stay in the report.":
        "সংযোগ বিচ্ছিন্ন। কী মুছে ফেলা হয়েছে; আপনার পার্সেলগুলো রিপোর্টে থাকবে।",
    "as of %(when)s": "%(when)s অনুযায়ী",
    "Status checks are paused: %(problem)s": "স্ট্যাটাস যাচাই বন্ধ আছে: %(problem)s",
    "Refresh balance": "ব্যালেন্স রিফ্রেশ করুন",
    "Not connected. Connect your %(courier)s merchant account to book parcels and follow them.":
        "সংযুক্ত নয়। পার্সেল বুক ও ট্র্যাক করতে আপনার %(courier)s মার্চেন্ট অ্যাকাউন্ট সংযুক্ত করুন।",
    "Leave blank to keep the saved key": "সেভ করা কী রাখতে খালি রাখুন",
    "Find both in the %(courier)s portal under API settings. We check them with %(courier)s before saving.":
        "দুটোই %(courier)s পোর্টালের API সেটিংসে পাবেন। সেভ করার আগে আমরা %(courier)s-এর সাথে যাচাই করি।",
    "Check and save": "যাচাই করে সেভ করুন",
    "Check and save new keys": "নতুন কী যাচাই করে সেভ করুন",
    "Delete the saved %(courier)s keys? Status checks stop until you connect again.":
        "সেভ করা %(courier)s কী মুছে ফেলবেন? আবার সংযুক্ত না করা পর্যন্ত স্ট্যাটাস যাচাই বন্ধ থাকবে।",
    "Disconnect": "সংযোগ বিচ্ছিন্ন করুন",
    "Only the shop's administrator can change the keys.": "শুধু দোকানের অ্যাডমিনিস্ট্রেটর কী বদলাতে পারেন।",
    "not checked: %(reason)s": "যাচাই হয়নি: %(reason)s",
    "changed just now": "এইমাত্র বদলেছে",
    "no change": "কোনো পরিবর্তন নেই",
    "Select": "বাছাই",
    "Order": "অর্ডার",
    "Consignment": "কনসাইনমেন্ট",
    "Last checked": "শেষ যাচাই",
    "Select order %(invoice)s": "অর্ডার %(invoice)s বাছাই করুন",
    "No parcels on the way.": "পথে কোনো পার্সেল নেই।",
    "(%(n)s awaiting the courier's approval)": "(%(n)s টি কুরিয়ারের অনুমোদনের অপেক্ষায়)",
    "— (no parcel has finished yet)": "— (এখনো কোনো পার্সেল শেষ হয়নি)",
    "COD expected": "প্রত্যাশিত সিওডি",
    "COD collected": "আদায়কৃত সিওডি",
    "(%(n)s partial deliveries whose amount the courier has not reported yet)":
        "(%(n)s টি আংশিক ডেলিভারি, যার টাকার পরিমাণ কুরিয়ার এখনো জানায়নি)",
    "Booking defaults": "বুকিংয়ের ডিফল্ট",
    "Default courier (one-click booking)": "ডিফল্ট কুরিয়ার (এক ক্লিকে বুকিং)",
    "Ask every time": "প্রতিবার জিজ্ঞেস করুন",
    "e.g. Call before delivery": "যেমন: ডেলিভারির আগে ফোন করবেন",
    "To the customer's door": "গ্রাহকের দরজায়",
    "Customer picks up at the courier's point": "গ্রাহক কুরিয়ারের পয়েন্ট থেকে নেবেন",
    "Orders paid online: nothing to collect": "অনলাইনে পরিশোধিত অর্ডার: কিছু আদায় করতে হবে না",
    "Round the amount to collect up to": "আদায়যোগ্য টাকা উপরের দিকে রাউন্ড করুন",
    "No rounding": "রাউন্ড নয়",
    "Whole taka": "পূর্ণ টাকা",
    "5 taka": "৫ টাকা",
    "10 taka": "১০ টাকা",
    "Check statuses every (minutes)": "স্ট্যাটাস যাচাই হবে প্রতি (মিনিট)",
    "Set the WooCommerce order status when a parcel's status changes": "পার্সেলের স্ট্যাটাস বদলালে উকমার্স অর্ডারের স্ট্যাটাস ঠিক করুন",
    "Saved now; Bikri starts changing WooCommerce orders with the order desk.":
        "এখন সেভ হবে; অর্ডার ডেস্ক চালু হলে বিক্রি উকমার্স অর্ডার বদলাতে শুরু করবে।",
    "Save defaults": "ডিফল্ট সেভ করুন",
    "Only the shop's administrator can change these.": "শুধু দোকানের অ্যাডমিনিস্ট্রেটর এগুলো বদলাতে পারেন।",
    "Saved.": "সেভ হয়েছে।",
    "Parcels on the way": "পথে থাকা পার্সেল",
    "Bikri asks the courier about every parcel on the way every %(n)s minutes. Tick parcels and check them now if you cannot wait.":
        "বিক্রি প্রতি %(n)s মিনিটে পথে থাকা প্রতিটি পার্সেলের খবর কুরিয়ারের কাছে জানতে চায়। অপেক্ষা করতে না চাইলে পার্সেলে টিক দিয়ে এখনই যাচাই করুন।",
    "Check status now": "এখনই স্ট্যাটাস দেখুন",
    "Delivery report": "ডেলিভারি রিপোর্ট",
    "Download CSV": "CSV ডাউনলোড করুন",
    "Parcels booked": "বুক করা পার্সেল",
    "Parcels booked by day and what became of them": "দিন অনুযায়ী বুক করা পার্সেল ও সেগুলোর পরিণতি",
    "The order number is missing.": "অর্ডার নম্বর নেই।",
    "Write the customer's name.": "গ্রাহকের নাম লিখুন।",
    "Write the delivery address.": "ডেলিভারির ঠিকানা লিখুন।",
    "The amount to collect must be a number of taka.": "আদায়যোগ্য টাকা অবশ্যই টাকার অঙ্কে হতে হবে।",
    "The amount to collect cannot be below 0 (0 means already paid).": "আদায়যোগ্য টাকা ০-এর কম হতে পারে না (০ মানে আগেই পরিশোধিত)।",
    "The amount to collect has more than two decimals.": "আদায়যোগ্য টাকায় দশমিকের পরে দুই ঘরের বেশি আছে।",
    "The number of packets must be 1 or more.": "প্যাকেটের সংখ্যা ১ বা তার বেশি হতে হবে।",
    "Fill in: %(fields)s.": "পূরণ করুন: %(fields)s।",
    "Some details of this parcel need fixing before %(courier)s takes it.": "%(courier)s নেওয়ার আগে এই পার্সেলের কিছু তথ্য ঠিক করতে হবে।",
    "Steadfast did not answer within %(seconds)s seconds. Try again in a few minutes.":
        "স্টেডফাস্ট %(seconds)s সেকেন্ডের মধ্যে উত্তর দেয়নি। কয়েক মিনিট পরে আবার চেষ্টা করুন।",
    "Steadfast could not be reached. Try again in a few minutes.": "স্টেডফাস্টের সাথে যোগাযোগ করা যায়নি। কয়েক মিনিট পরে আবার চেষ্টা করুন।",
    "Steadfast asks us to slow down; trying again in %(seconds)s seconds.":
        "স্টেডফাস্ট ধীরে অনুরোধ পাঠাতে বলছে; %(seconds)s সেকেন্ড পরে আবার চেষ্টা করা হবে।",
    "Steadfast refused the API key or secret key. Copy both again from the Steadfast portal and save them.":
        "স্টেডফাস্ট এপিআই কী বা সিক্রেট কী গ্রহণ করেনি। স্টেডফাস্ট পোর্টাল থেকে দুটোই আবার কপি করে সেভ করুন।",
    "Steadfast is not working right now (error %(code)s). Try again in a few minutes.":
        "স্টেডফাস্ট এই মুহূর্তে কাজ করছে না (ত্রুটি %(code)s)। কয়েক মিনিট পরে আবার চেষ্টা করুন।",
    "Steadfast answered something we cannot read (HTTP %(code)s). Try again later.":
        "স্টেডফাস্ট এমন উত্তর দিয়েছে যা আমরা পড়তে পারছি না (HTTP %(code)s)। পরে আবার চেষ্টা করুন।",
    "Steadfast answered something we cannot read. Try again later.": "স্টেডফাস্ট এমন উত্তর দিয়েছে যা আমরা পড়তে পারছি না। পরে আবার চেষ্টা করুন।",
    "Steadfast has no parcel with this reference.": "এই রেফারেন্সে স্টেডফাস্টে কোনো পার্সেল নেই।",
    "Your Steadfast account is not active. Ask Steadfast to activate it.": "আপনার স্টেডফাস্ট অ্যাকাউন্ট সক্রিয় নয়। সক্রিয় করতে স্টেডফাস্টকে বলুন।",
    "Steadfast already has a parcel with this order number.": "এই অর্ডার নম্বরে স্টেডফাস্টে আগেই একটি পার্সেল আছে।",
    "Steadfast refused the parcel. Fix the fields below and try again.": "স্টেডফাস্ট পার্সেলটি নেয়নি। নিচের ঘরগুলো ঠিক করে আবার চেষ্টা করুন।",
    "Steadfast refused the request: %(reason)s": "স্টেডফাস্ট অনুরোধটি নেয়নি: %(reason)s",
    "Steadfast takes order numbers made of letters, digits, - and _ only; this one is %(invoice)s.":
        "স্টেডফাস্ট শুধু অক্ষর, সংখ্যা, - ও _ দিয়ে তৈরি অর্ডার নম্বর নেয়; এটি %(invoice)s।",
    "Steadfast takes names of at most %(max)s characters; this one has %(n)s.":
        "স্টেডফাস্ট সর্বোচ্চ %(max)s অক্ষরের নাম নেয়; এটিতে %(n)s অক্ষর।",
    "Steadfast takes addresses of at most %(max)s characters; this one has %(n)s. Shorten it.":
        "স্টেডফাস্ট সর্বোচ্চ %(max)s অক্ষরের ঠিকানা নেয়; এটিতে %(n)s অক্ষর। ছোট করুন।",
    "This email address has no @.": "এই ইমেইল ঠিকানায় @ নেই।",
    "Steadfast answered without a balance. Try again later.": "স্টেডফাস্ট ব্যালেন্স ছাড়া উত্তর দিয়েছে। পরে আবার চেষ্টা করুন।",
    "Steadfast answered without a consignment id. Check the order number before booking again.":
        "স্টেডফাস্ট কনসাইনমেন্ট আইডি ছাড়া উত্তর দিয়েছে। আবার বুক করার আগে অর্ডার নম্বরটি যাচাই করুন।",
    "This order number is twice in the batch; it is booked once.": "এই অর্ডার নম্বরটি ব্যাচে দুবার আছে; একবারই বুক হবে।",
    "Some details of this parcel need fixing before Steadfast takes it.": "স্টেডফাস্ট নেওয়ার আগে এই পার্সেলের কিছু তথ্য ঠিক করতে হবে।",
    "Steadfast answered the bulk booking in a shape we cannot read. Check the orders by their numbers before booking them again.":
        "স্টেডফাস্ট বাল্ক বুকিংয়ের এমন উত্তর দিয়েছে যা আমরা পড়তে পারছি না। আবার বুক করার আগে অর্ডার নম্বর দিয়ে অর্ডারগুলো যাচাই করুন।",
    "Steadfast's answer did not mention this parcel. Check it by its order number before booking it again.":
        "স্টেডফাস্টের উত্তরে এই পার্সেলের উল্লেখ নেই। আবার বুক করার আগে অর্ডার নম্বর দিয়ে যাচাই করুন।",
    "Steadfast refused this parcel: %(reason)s": "স্টেডফাস্ট এই পার্সেলটি নেয়নি: %(reason)s",
    "No consignment with this courier and order number.": "এই কুরিয়ার ও অর্ডার নম্বরে কোনো কনসাইনমেন্ট নেই।",
    "No consignment of this shop has this id.": "এই দোকানের কোনো কনসাইনমেন্টের এই আইডি নেই।",
    "No consignment of this shop has this order number.": "এই দোকানের কোনো কনসাইনমেন্টের এই অর্ডার নম্বর নেই।",
    "Steadfast answered without a delivery status. Try again later.": "স্টেডফাস্ট ডেলিভারি স্ট্যাটাস ছাড়া উত্তর দিয়েছে। পরে আবার চেষ্টা করুন।",
    "Steadfast refused this parcel without saying why. Check the phone number, address and amount, and whether this order was booked before.":
        "স্টেডফাস্ট কারণ না জানিয়ে পার্সেলটি নেয়নি। ফোন নম্বর, ঠিকানা ও টাকার পরিমাণ দেখুন, আর অর্ডারটি আগে বুক হয়েছে কি না দেখুন।",
}


def main():
    path = Path(__file__).resolve().parent.parent / "backend/translations/bn/LC_MESSAGES/messages.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale="bn")
    for message in catalog:
        # `pybabel update` guesses a translation for a new string from a similar old one and
        # marks it fuzzy (never compiled): the listed translation replaces such a guess.
        if message.id in BN and (not message.string or message.fuzzy):
            message.string = BN[message.id]
            message.flags.discard("fuzzy")
    with path.open("wb") as f:
        write_po(f, catalog, width=100)


if __name__ == "__main__":
    main()
