"""The settings forms of features that send SMS (checkout codes, abandoned-cart reminders):
read the posted form, validate and save through the domain's service, answer with the form
again — with each field's error, or saved. One flow, so both forms behave alike."""
from flask import Response, render_template
from flask_babel import gettext as _

from backend.errors import ApiError
from backend.extensions import db


def read_form(form, *, checkboxes, switch: str, whole_numbers, texts, blank_is_none=()) -> tuple[dict, dict]:
    """(values, errors). `switch` is the SMS option shown disabled without balance: the browser
    does not send it then, so it keeps its stored value."""
    values, errors = {name: form.get(name) == "1" for name in checkboxes}, {}
    if f"{switch}_locked" in form:
        values.pop(switch)
    for name in whole_numbers:
        raw = (form.get(name) or "").strip()
        if name in blank_is_none and raw == "":
            values[name] = None
            continue
        try:
            values[name] = int(raw)
        except ValueError:
            errors[name] = [_("Enter a whole number.")]
    for name in texts:
        values[name] = form.get(name, "")
    return values, errors


def save_form(user, values: dict, errors: dict, *, service, switch: str, balance_message: str, template: str,
              context) -> Response:
    """Validate and save with `service` (settings_errors, update_settings); `context(user, settings,
    errors=, saved=, submitted=)` renders `template`. wp-admin is told to fetch the checkout's copy."""
    errors = {**service.settings_errors(user.site, values), **errors}
    settings = None
    if not errors:
        try:
            settings = service.update_settings(user.site, values, by=f"{user.display_name} (#{user.wp_user_id})")
        except ApiError as error:
            db.session.rollback()
            if error.code == "validation_error":
                errors = error.details
            else:
                errors = {switch: [balance_message if error.code == "sms_balance_required" else error.message]}
    if errors:
        return Response(render_template(template, user=user, **context(user, errors=errors, submitted=values)))
    response = Response(render_template(template, user=user, **context(user, settings, saved=True)))
    # the page's script tells wp-admin, which fetches the new settings for the checkout at once
    response.headers["HX-Trigger"] = "bikri-checkout-changed"
    return response
