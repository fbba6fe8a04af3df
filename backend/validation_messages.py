"""Marshmallow's own messages ("Missing data for required field.", "Not a valid number.") in
the reader's language.

Marshmallow keeps its messages as plain class attributes and fills them with str.format when a
field or validator fails, during a request. Each one is replaced here by a str whose format()
looks the message up in the catalog first, so the words come out in the request's locale (the
embed user's, or Accept-Language for the API) and the JSON API keeps its English for clients
that ask for none. Messages that marshmallow stores without formatting ("Unknown field.")
translate when a template prints them (__html__).

`install()` must run before any schema class is defined (validators copy their message when
built): backend/app.py calls it at import time.
"""
from flask_babel import gettext, lazy_gettext as _l
from markupsafe import escape
from marshmallow import fields, schema, validate

# Literal copies of marshmallow 3's messages, so `make translations-update` extracts them. A
# message missing here stays English; tests/test_bangla_errors.py fails on it.
MESSAGES = [
    _l("Missing data for required field."), _l("Field may not be null."), _l("Invalid value."), _l("Invalid type."),
    _l("Not a valid list."), _l("Not a valid tuple."), _l("Not a valid string."), _l("Not a valid utf-8 string."),
    _l("Not a valid UUID."), _l("Not a valid number."), _l("Number too large."), _l("Not a valid integer."),
    _l("Special numeric values (nan or infinity) are not permitted."), _l("Not a valid boolean."),
    _l("Not a valid {obj_type}."), _l("Not a valid date."), _l("Not a valid period of time."),
    _l("Not a valid mapping type."), _l("Not a valid URL."), _l("Not a valid email address."),
    _l("Not a valid IP address."), _l("Must be one of: {choices}."), _l("Must be equal to {other}."),
    _l("String does not match expected pattern."), _l("Invalid input."), _l("Invalid input type."), _l("Unknown field."),
    _l("Shorter than minimum length {min}."), _l("Longer than maximum length {max}."),
    _l("Length must be between {min} and {max}."), _l("Length must be {equal}."),
    _l("One or more of the choices you made was not in: {choices}."),
    # Range builds its message in two steps (the operator words first, when the validator is made)
    _l("Must be greater than or equal to {min}."), _l("Must be greater than {min}."),
    _l("Must be less than or equal to {max}."), _l("Must be less than {max}."),
    _l("Must be greater than or equal to {min} and less than or equal to {max}."),
    _l("Must be greater than {min} and less than {max}."),
    _l("Must be greater than or equal to {min} and less than {max}."),
    _l("Must be greater than {min} and less than or equal to {max}."),
]


class TranslatedMessage(str):
    """An English message that is translated when it is filled in (or printed by a template)."""

    def format(self, *args, **kwargs):
        filled = gettext(str(self)).format(*args, **kwargs)
        # Range's first step leaves a template ("Must be greater than {min}.") for the second
        return TranslatedMessage(filled) if "{" in filled else filled

    def __html__(self):
        return str(escape(gettext(str(self))))


def _wrap(value):
    return TranslatedMessage(value) if isinstance(value, str) and not isinstance(value, TranslatedMessage) else value


def install():
    for module in (fields, validate):
        for obj in list(vars(module).values()):
            if not isinstance(obj, type):
                continue
            own = obj.__dict__.get("default_error_messages")
            if own:
                obj.default_error_messages = {key: _wrap(value) for key, value in own.items()}
            for name, value in list(obj.__dict__.items()):
                if name.startswith("message_") or name == "default_message":
                    if name in ("message_gte", "message_gt", "message_lte", "message_lt"):
                        continue  # words put into Range's template, not messages of their own
                    setattr(obj, name, _wrap(value))
    schema.Schema._default_error_messages = {key: _wrap(value) for key, value in schema.Schema._default_error_messages.items()}
