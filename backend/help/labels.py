from flask_babel import lazy_gettext as _l

from backend.labels import register

# the link to an article's translation names its language in that language: a reader finds
# the version they read, whatever language the page is in
HELP_TRANSLATION_LINKS = register("help_language", {"bn": "বাংলায় পড়ুন", "en": "Read in English"})
HELP_LANGUAGE_NAMES = register("help_language_name", {"bn": _l("Bangla"), "en": _l("English")})
