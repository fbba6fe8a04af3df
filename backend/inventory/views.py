"""The Inventory page inside wp-admin: the stock list and its batch grid, CSV upload with a
preview, low stock and its settings, the aging report (with its CSV)."""
import io
import json

from flask import Blueprint, Response, abort, g, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from marshmallow import ValidationError, validate

from backend.csvfile import writer
from backend.embed.pages import EmbedPage, register_page
from backend.embed import service as embed_service
from backend.embed.routes import require_user
from backend.errors import ApiError
from backend.inventory import aging as aging_report, batches, service  # `aging` is this module's view
from backend.tasks import service as tasks_service

blp = Blueprint("inventory_embed", __name__, url_prefix="/embed/inventory", template_folder="templates",
                static_folder="static")

ROWS_PER_PAGE = 50
JOB_WAIT_SECONDS = 3


def bucket_labels():
    return {"0-30": _("0–30 days"), "31-60": _("31–60 days"), "61-90": _("61–90 days"), "90+": _("Over 90 days")}


def _page_context(user):
    settings = service.settings_for(user.site.id)
    return {"settings": settings, "can_manage": user.can("manage_inventory"), "buckets": bucket_labels(),
            "last_batch": batches.last_batch(user.site.id)}


register_page(EmbedPage("inventory", _l("Inventory"), permission="view_inventory", template="inventory/page.html",
                        context=_page_context))


def _int_arg(name: str, default: int = 1) -> int:
    try:
        return max(1, int(request.args.get(name, default)))
    except ValueError:
        return default


@blp.get("/rows")
def rows():
    """The stock list (and, for managers, the grid to edit it)."""
    user = require_user("view_inventory")
    show = request.args.get("show") if request.args.get("show") in ("low", "out") else "all"
    q = (request.args.get("q") or "").strip()[:100] or None
    page = service.stock_page(user.site.id, _int_arg("page"), ROWS_PER_PAGE, q=q, show=show)
    default = service.settings_for(user.site.id).default_threshold
    return render_template("inventory/_rows.html", page=page, default=default, can_manage=user.can("manage_inventory"),
                           q=q or "", show=show)


@blp.get("/low")
def low():
    user = require_user("view_inventory")
    return render_template("inventory/_low.html", rows=service.low_stock(user.site.id))


@blp.get("/aging")
def aging():
    user = require_user("view_inventory")
    report = aging_report.aging(user.site.id, page=_int_arg("page"), per_page=ROWS_PER_PAGE)
    return render_template("inventory/_aging.html", report=report, buckets=bucket_labels())


EXPORT_PURPOSE = "inventory_aging"


@blp.post("/aging/export")
def aging_export_start():
    """The aging CSV, step 1 (with the session header): a one-time download URL (HX-Redirect)."""
    user = require_user("view_inventory")
    ticket = embed_service.issue_download_ticket(user, EXPORT_PURPOSE)
    return "", 200, {"HX-Redirect": url_for("inventory_embed.aging_csv", ticket=ticket)}


@blp.get("/aging.csv")
def aging_csv():
    """Step 2, a plain navigation: the ticket says who asked; every item on hand, slowest first."""
    try:
        user = embed_service.redeem_download_ticket(request.args.get("ticket"), EXPORT_PURPOSE)
    except embed_service.TicketRefused:
        abort(410)
    g.embed_user = user
    g.frame_ancestors = user.site.origin
    if not user.can("view_inventory"):
        abort(403)
    site_id = user.site.id

    def lines():
        out = io.StringIO()
        sheet = writer(out)
        sheet.writerow([_("SKU"), _("Product"), _("Stock"), _("Days since last sale"), _("Bucket"), _("Value tied up")])
        for row in aging_report.iter_aging_rows(site_id):
            item = row["item"]
            sheet.writerow([item.sku, item.name, item.stock_quantity, "" if row["days"] is None else row["days"],
                            row["bucket"], row["value"]])
            if out.tell() > 64_000:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()
    return Response(stream_with_context(lines()), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="stock-aging.csv"', "Cache-Control": "no-store"})


@blp.post("/settings")
def save_settings():
    user = require_user("manage_inventory")
    form, errors = request.form, {}
    data = {}
    for name, low_, high in (("default_threshold", 0, 1_000_000), ("cover_days", 1, 365)):
        try:
            value = int(form.get(name, ""))
            if not low_ <= value <= high:
                raise ValueError
            data[name] = value
        except ValueError:
            errors[name] = _("A whole number from %(low)s to %(high)s.", low=low_, high=high)
    phone = (form.get("alert_phone") or "").strip()
    if phone:
        try:
            data["alert_phone"] = service.read_phone(phone)
        except ApiError as error:
            errors["alert_phone"] = error.message
    else:
        data["alert_phone"] = None
    email = (form.get("alert_email") or "").strip()
    if email:
        try:
            validate.And(validate.Length(max=254), validate.Email())(email)
        except ValidationError:
            errors["alert_email"] = _("An email address, like owner@example.com.")
    data["alert_email"] = email or None
    if errors:
        return render_template("inventory/_settings.html", settings=form, errors=errors, saved=False), 422
    settings = service.update_settings(user.site.id, data)
    return render_template("inventory/_settings.html", settings=settings, errors={}, saved=True)


@blp.post("/threshold/<int:product_id>")
def threshold(product_id):
    user = require_user("manage_inventory")
    raw = (request.form.get("threshold") or "").strip()
    try:
        value = None if raw == "" else int(raw)
        if value is not None and not 0 <= value <= 1_000_000:
            raise ValueError
    except ValueError:
        return f'<span class="notice notice-error">{_("A whole number, or empty for the shop default.")}</span>', 422
    service.set_threshold(user.site.id, product_id, value)
    return f'<span class="muted">{_("Saved.")}</span>'


def _grid_rows(form) -> list[dict]:
    """The grid's changed cells as batch rows: inputs named stock-<id>, price-<id>, sale-<id>,
    with modified-<id> and was-<field>-<id> as loaded."""
    rows = []
    for key in form:
        if not key.startswith("modified-"):
            continue
        wc_id = key.split("-", 1)[1]
        if not wc_id.isdigit():
            continue
        row = {"product_id": int(wc_id), "loaded_modified": form.get(key) or None}
        changed = False
        for field, name in (("stock", "stock"), ("price", "price"), ("sale", "sale_price")):
            value = (form.get(f"{field}-{wc_id}") or "").strip()
            if value != (form.get(f"was-{field}-{wc_id}") or "").strip():
                row[name] = value if value or field != "sale" else "-"
                changed = True
        if changed:
            rows.append(row)
    return rows[:batches.MAX_ROWS]


@blp.post("/batch/preview")
def batch_preview():
    user = require_user("manage_inventory")
    try:
        if "file" in request.files:
            rows = batches.parse_csv(request.files["file"].read(batches.MAX_CSV_BYTES + 1))
            source = "csv"
        else:
            rows, source = _grid_rows(request.form), "grid"
        if not rows:
            raise ApiError(_("Nothing was changed."), code="nothing_to_apply", status=422)
        checked = batches.preview(user.site.id, rows)
    except ApiError as error:
        return render_template("inventory/_preview.html", error=error.message, rows=[]), 422
    return render_template("inventory/_preview.html", rows=checked, source=source,
                           rows_json=json.dumps(rows, default=str, ensure_ascii=False),
                           good=sum(1 for r in checked if r["ok"]))


@blp.post("/batch/apply")
def batch_apply():
    user = require_user("manage_inventory")
    try:
        rows = json.loads(request.form.get("rows_json") or "[]")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError
        source = request.form.get("source") if request.form.get("source") in ("grid", "csv") else "grid"
        batch, job, _checked = batches.start_batch(user.site.id, rows, source=source, user=user.display_name)
    except (ValueError, TypeError):
        return render_template("inventory/_preview.html", error=_("The preview could not be read; preview again."), rows=[]), 422
    except ApiError as error:
        return render_template("inventory/_preview.html", error=error.message, rows=[]), error.status
    return _start_and_answer(job, user)


@blp.post("/batch/undo")
def batch_undo():
    user = require_user("manage_inventory")
    try:
        _batch, job, _checked = batches.undo_last(user.site.id, user.display_name)
    except ApiError as error:
        return render_template("inventory/_preview.html", error=error.message, rows=[]), error.status
    return _start_and_answer(job, user)


def _start_and_answer(job, user):
    return job_answer(tasks_service.wait_for_job(job, JOB_WAIT_SECONDS))


def job_answer(job):
    if job.status in ("done", "failed"):
        view = tasks_service.job_view(job)
        return render_template("inventory/_results.html", job=view), 200, {"HX-Trigger": "stock-changed"}
    return render_template("tasks/_job_progress.html", job=job,
                           words=_l("%(done)d of %(total)d rows sent to WooCommerce"),
                           poll_url=url_for("inventory_embed.job_progress", job_id=job.id))


@blp.get("/jobs/<int:job_id>")
def job_progress(job_id):
    user = require_user("manage_inventory")
    job = tasks_service.job_for_site(user.site.id, job_id)
    if job is None or job.kind != "inventory_batch":
        abort(404)
    return job_answer(job)
