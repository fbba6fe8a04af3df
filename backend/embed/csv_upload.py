"""A CSV sent by a page's import form: a chosen file, or its rows pasted into the form."""
from flask import request
from flask_babel import gettext as _


class BadCsv(Exception):
    """No CSV to read: the message says what to do."""


def csv_from_form(*, max_bytes: int = -1, file_field: str = "file", text_field: str = "csv") -> str:
    """The CSV's text: the file's (UTF-8, a spreadsheet's byte-order mark dropped; at most
    `max_bytes` read) if one was chosen, else the pasted rows. Raises BadCsv."""
    upload = request.files.get(file_field)
    text = request.form.get(text_field, "")
    if upload is not None and upload.filename:
        try:
            text = upload.read(max_bytes).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadCsv(_("Save the file as CSV in UTF-8 and try again.")) from None
    if not text.strip():
        raise BadCsv(_("Choose a CSV file or paste its rows."))
    return text
