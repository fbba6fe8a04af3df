"""Bangladesh's 64 districts as WooCommerce names them (state codes `BD-01` … `BD-64`).

WooCommerce stores the billing "state" of a Bangladeshi address as one of these codes;
shops with custom checkout fields often store the district's name instead. `district_name`
reads either, so the read model and couriers get one spelling.
"""
from flask_babel import get_locale

# Every district: its WooCommerce state code, its name, and its Bangla name as Bangla readers
# write it (Bangladesh's official Bangla spelling).
DISTRICTS = (
    ("BD-05", "Bagerhat", "বাগেরহাট"),
    ("BD-01", "Bandarban", "বান্দরবান"),
    ("BD-02", "Barguna", "বরগুনা"),
    ("BD-06", "Barishal", "বরিশাল"),
    ("BD-07", "Bhola", "ভোলা"),
    ("BD-03", "Bogura", "বগুড়া"),
    ("BD-04", "Brahmanbaria", "ব্রাহ্মণবাড়িয়া"),
    ("BD-09", "Chandpur", "চাঁদপুর"),
    ("BD-10", "Chattogram", "চট্টগ্রাম"),
    ("BD-12", "Chuadanga", "চুয়াডাঙ্গা"),
    ("BD-11", "Cox's Bazar", "কক্সবাজার"),
    ("BD-08", "Cumilla", "কুমিল্লা"),
    ("BD-13", "Dhaka", "ঢাকা"),
    ("BD-14", "Dinajpur", "দিনাজপুর"),
    ("BD-15", "Faridpur", "ফরিদপুর"),
    ("BD-16", "Feni", "ফেনী"),
    ("BD-19", "Gaibandha", "গাইবান্ধা"),
    ("BD-18", "Gazipur", "গাজীপুর"),
    ("BD-17", "Gopalganj", "গোপালগঞ্জ"),
    ("BD-20", "Habiganj", "হবিগঞ্জ"),
    ("BD-21", "Jamalpur", "জামালপুর"),
    ("BD-22", "Jashore", "যশোর"),
    ("BD-25", "Jhalokati", "ঝালকাঠি"),
    ("BD-23", "Jhenaidah", "ঝিনাইদহ"),
    ("BD-24", "Joypurhat", "জয়পুরহাট"),
    ("BD-29", "Khagrachhari", "খাগড়াছড়ি"),
    ("BD-27", "Khulna", "খুলনা"),
    ("BD-26", "Kishoreganj", "কিশোরগঞ্জ"),
    ("BD-28", "Kurigram", "কুড়িগ্রাম"),
    ("BD-30", "Kushtia", "কুষ্টিয়া"),
    ("BD-31", "Lakshmipur", "লক্ষ্মীপুর"),
    ("BD-32", "Lalmonirhat", "লালমনিরহাট"),
    ("BD-36", "Madaripur", "মাদারীপুর"),
    ("BD-37", "Magura", "মাগুরা"),
    ("BD-33", "Manikganj", "মানিকগঞ্জ"),
    ("BD-39", "Meherpur", "মেহেরপুর"),
    ("BD-38", "Moulvibazar", "মৌলভীবাজার"),
    ("BD-35", "Munshiganj", "মুন্সিগঞ্জ"),
    ("BD-34", "Mymensingh", "ময়মনসিংহ"),
    ("BD-48", "Naogaon", "নওগাঁ"),
    ("BD-43", "Narail", "নড়াইল"),
    ("BD-40", "Narayanganj", "নারায়ণগঞ্জ"),
    ("BD-42", "Narsingdi", "নরসিংদী"),
    ("BD-44", "Natore", "নাটোর"),
    ("BD-45", "Nawabganj", "চাঁপাইনবাবগঞ্জ"),
    ("BD-41", "Netrakona", "নেত্রকোণা"),
    ("BD-46", "Nilphamari", "নীলফামারী"),
    ("BD-47", "Noakhali", "নোয়াখালী"),
    ("BD-49", "Pabna", "পাবনা"),
    ("BD-52", "Panchagarh", "পঞ্চগড়"),
    ("BD-51", "Patuakhali", "পটুয়াখালী"),
    ("BD-50", "Pirojpur", "পিরোজপুর"),
    ("BD-53", "Rajbari", "রাজবাড়ী"),
    ("BD-54", "Rajshahi", "রাজশাহী"),
    ("BD-56", "Rangamati", "রাঙ্গামাটি"),
    ("BD-55", "Rangpur", "রংপুর"),
    ("BD-58", "Satkhira", "সাতক্ষীরা"),
    ("BD-62", "Shariatpur", "শরীয়তপুর"),
    ("BD-57", "Sherpur", "শেরপুর"),
    ("BD-59", "Sirajganj", "সিরাজগঞ্জ"),
    ("BD-61", "Sunamganj", "সুনামগঞ্জ"),
    ("BD-60", "Sylhet", "সিলেট"),
    ("BD-63", "Tangail", "টাঙ্গাইল"),
    ("BD-64", "Thakurgaon", "ঠাকুরগাঁও"),
)
WC_STATES = {code: name for code, name, _bangla in DISTRICTS}
BN_NAMES = {name: bangla for _code, name, bangla in DISTRICTS}


def district_name(state: str | None) -> str | None:
    """`BD-13` → `Dhaka`; a name (or anything else a shop stores) is kept as it is."""
    if not state:
        return None
    state = state.strip()
    return WC_STATES.get(state.upper(), state) or None


def district_label(state: str | None) -> str | None:
    """The district as the reader writes it: `BD-13` or `Dhaka` -> `ঢাকা` in Bangla, `Dhaka` in
    English; anything else a shop stored is shown as it is."""
    name = district_name(state)
    if name and str(get_locale() or "en").startswith("bn"):
        return BN_NAMES.get(name, name)
    return name


from backend.labels import register_resolver  # noqa: E402  (the registry needs nothing from here)

register_resolver("district", district_label)
