"""Bangladesh's 64 districts as WooCommerce names them (state codes `BD-01` … `BD-64`).

WooCommerce stores the billing "state" of a Bangladeshi address as one of these codes;
shops with custom checkout fields often store the district's name instead. `district_name`
reads either, so the read model and couriers get one spelling.
"""
from flask_babel import get_locale

WC_STATES = {
    "BD-05": "Bagerhat", "BD-01": "Bandarban", "BD-02": "Barguna", "BD-06": "Barishal", "BD-07": "Bhola",
    "BD-03": "Bogura", "BD-04": "Brahmanbaria", "BD-09": "Chandpur", "BD-10": "Chattogram", "BD-12": "Chuadanga",
    "BD-11": "Cox's Bazar", "BD-08": "Cumilla", "BD-13": "Dhaka", "BD-14": "Dinajpur", "BD-15": "Faridpur",
    "BD-16": "Feni", "BD-19": "Gaibandha", "BD-18": "Gazipur", "BD-17": "Gopalganj", "BD-20": "Habiganj",
    "BD-21": "Jamalpur", "BD-22": "Jashore", "BD-25": "Jhalokati", "BD-23": "Jhenaidah", "BD-24": "Joypurhat",
    "BD-29": "Khagrachhari", "BD-27": "Khulna", "BD-26": "Kishoreganj", "BD-28": "Kurigram", "BD-30": "Kushtia",
    "BD-31": "Lakshmipur", "BD-32": "Lalmonirhat", "BD-36": "Madaripur", "BD-37": "Magura", "BD-33": "Manikganj",
    "BD-39": "Meherpur", "BD-38": "Moulvibazar", "BD-35": "Munshiganj", "BD-34": "Mymensingh", "BD-48": "Naogaon",
    "BD-43": "Narail", "BD-40": "Narayanganj", "BD-42": "Narsingdi", "BD-44": "Natore", "BD-45": "Nawabganj",
    "BD-41": "Netrakona", "BD-46": "Nilphamari", "BD-47": "Noakhali", "BD-49": "Pabna", "BD-52": "Panchagarh",
    "BD-51": "Patuakhali", "BD-50": "Pirojpur", "BD-53": "Rajbari", "BD-54": "Rajshahi", "BD-56": "Rangamati",
    "BD-55": "Rangpur", "BD-58": "Satkhira", "BD-62": "Shariatpur", "BD-57": "Sherpur", "BD-59": "Sirajganj",
    "BD-61": "Sunamganj", "BD-60": "Sylhet", "BD-63": "Tangail", "BD-64": "Thakurgaon",
}

# The same districts as Bangla readers write them (Bangladesh's official Bangla spellings).
BN_NAMES = {
    "Bagerhat": "বাগেরহাট", "Bandarban": "বান্দরবান", "Barguna": "বরগুনা", "Barishal": "বরিশাল",
    "Bhola": "ভোলা", "Bogura": "বগুড়া", "Brahmanbaria": "ব্রাহ্মণবাড়িয়া", "Chandpur": "চাঁদপুর",
    "Chattogram": "চট্টগ্রাম", "Chuadanga": "চুয়াডাঙ্গা", "Cox's Bazar": "কক্সবাজার", "Cumilla": "কুমিল্লা",
    "Dhaka": "ঢাকা", "Dinajpur": "দিনাজপুর", "Faridpur": "ফরিদপুর", "Feni": "ফেনী",
    "Gaibandha": "গাইবান্ধা", "Gazipur": "গাজীপুর", "Gopalganj": "গোপালগঞ্জ", "Habiganj": "হবিগঞ্জ",
    "Jamalpur": "জামালপুর", "Jashore": "যশোর", "Jhalokati": "ঝালকাঠি", "Jhenaidah": "ঝিনাইদহ",
    "Joypurhat": "জয়পুরহাট", "Khagrachhari": "খাগড়াছড়ি", "Khulna": "খুলনা", "Kishoreganj": "কিশোরগঞ্জ",
    "Kurigram": "কুড়িগ্রাম", "Kushtia": "কুষ্টিয়া", "Lakshmipur": "লক্ষ্মীপুর", "Lalmonirhat": "লালমনিরহাট",
    "Madaripur": "মাদারীপুর", "Magura": "মাগুরা", "Manikganj": "মানিকগঞ্জ", "Meherpur": "মেহেরপুর",
    "Moulvibazar": "মৌলভীবাজার", "Munshiganj": "মুন্সিগঞ্জ", "Mymensingh": "ময়মনসিংহ", "Naogaon": "নওগাঁ",
    "Narail": "নড়াইল", "Narayanganj": "নারায়ণগঞ্জ", "Narsingdi": "নরসিংদী", "Natore": "নাটোর",
    "Nawabganj": "চাঁপাইনবাবগঞ্জ", "Netrakona": "নেত্রকোণা", "Nilphamari": "নীলফামারী", "Noakhali": "নোয়াখালী",
    "Pabna": "পাবনা", "Panchagarh": "পঞ্চগড়", "Patuakhali": "পটুয়াখালী", "Pirojpur": "পিরোজপুর",
    "Rajbari": "রাজবাড়ী", "Rajshahi": "রাজশাহী", "Rangamati": "রাঙ্গামাটি", "Rangpur": "রংপুর",
    "Satkhira": "সাতক্ষীরা", "Shariatpur": "শরীয়তপুর", "Sherpur": "শেরপুর", "Sirajganj": "সিরাজগঞ্জ",
    "Sunamganj": "সুনামগঞ্জ", "Sylhet": "সিলেট", "Tangail": "টাঙ্গাইল", "Thakurgaon": "ঠাকুরগাঁও",
}
assert set(BN_NAMES) == set(WC_STATES.values()), "every district needs its Bangla name"


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
