"""The order desk's JSON API (for the plugin and tests; bearer token = the shop itself) and
its embed views (wp-admin iframe; role-checked). Both call backend/desk/service.py."""
from flask import jsonify, request
from flask_babel import gettext as _
from flask.views import MethodView
from werkzeug.datastructures import MultiDict

from backend.api import Blueprint, current_site, job_progress_url
from backend.desk.fields import invalid
from backend.desk import manual_orders, service
from backend.desk.schemas import AssignSchema, ConfirmSchema, ManualOrderSchema, OrderStatusChangeSchema, TagEditSchema, TaggingSchema, TagSchema
from backend.desk.views import blp as embed_blp
from backend.fraud.service import desk_badges
from backend.tasks.schemas import JobSchema
from backend.tasks.service import job_view
from backend.clock import iso

api_blp = Blueprint("desk", __name__, url_prefix="/api/v1", description="The order desk")

API_BLUEPRINTS = [api_blp]
PAGE_BLUEPRINTS = [embed_blp]


def task_json(task: dict | None) -> dict | None:
    """An order's task (T3): assignee, due time, overdue, and its last call to the customer."""
    if task is None:
        return None
    call = task["call"]
    return {"assignee": task["assignee"], "assignee_name": task["assignee_name"], "due_at": iso(task["due_at"]),
            "overdue": task["overdue"],
            "call": {**call, "at": iso(call["at"])} if call is not None else None}


def row_json(row: dict) -> dict:
    out = {**row, "total": f"{row['total']:f}", "date_created_gmt": iso(row["date_created_gmt"])}
    if "task" in row:
        out["task"] = task_json(row["task"])
    return out


def _fraud_json(badge: dict | None) -> dict | None:
    """The customer's stored risk (F1), as the desk's badge shows it; None for an order without a valid phone."""
    if badge is None:
        return None
    return {"risk": badge["risk"], "success_percent": badge["success_percent"], "checked_at": iso(badge["checked_at"])}


def tag_json(tag) -> dict:
    return {"id": tag.id, "name": tag.name, "colour": tag.colour}


@api_blp.route("/orders")
class Orders(MethodView):
    def get(self):
        """The order desk's list: ?status=&tag=&start=&end=&q=&cursor=&limit= (keyset; follow next_cursor)."""
        site_id = current_site().id
        page = service.list_orders(site_id, service.parse_filters(request.args))
        badges = desk_badges(site_id, page["orders"])
        return jsonify({"orders": [{**row_json(r), "fraud": _fraud_json(badges.get(r["id"]))} for r in page["orders"]],
                        "next_cursor": page["next_cursor"]})

    @api_blp.arguments(ManualOrderSchema)
    def post(self, data):
        """Create an order in WooCommerce (manual entry, O2), with sequential discounts (O3). A bad
        field is refused with 422 before anything is queued; a worker sends the order to
        WooCommerce and this waits up to five seconds for it: created, 201 with the stored order;
        refused, 502 `woocommerce_refused`. Not answered yet: 202 with the job to follow
        (`Location: /api/v1/jobs/<id>`; its one item holds `wc_id` and both totals, or the error).
        The order is never sent twice."""
        form = MultiDict([(k, data[k]) for k in ("name", "phone", "address", "district", "payment_method", "note")])
        if data.get("shipping") is not None:
            form.add("shipping", data["shipping"])
        for item in data["items"]:
            form.add("product", str(item["product_id"]))
            form.add("quantity", str(item["quantity"]))
        for discount in data["discounts"]:
            form.add("discount_kind", discount["kind"])
            form.add("discount_value", discount["value"])
        job = manual_orders.create_and_wait(current_site(), form, created_by="api")
        now = manual_orders.outcome(job)
        if not now["done"]:
            return jsonify(JobSchema().dump(job_view(job))), 202, {"Location": job_progress_url(job)}
        if "error" in now:
            raise now["error"]
        result = now["result"]
        return jsonify({"order": row_json(result["order"]), "bikri_total": f"{result['bikri_total']:f}",
                        "woocommerce_total": f"{result['woocommerce_total']:f}",
                        "total_matches": result["total_matches"]}), 201


@api_blp.route("/orders/status")
class Status(MethodView):
    @api_blp.arguments(OrderStatusChangeSchema)
    @api_blp.response(202, JobSchema)
    def post(self, data):
        """Change the status of one or many orders in WooCommerce. Answers 202 at once with the job
        (`Location: /api/v1/jobs/<id>`); the workers write to WooCommerce and the job gets one
        item per order: `{wc_id, ok, status, error, code?, note?}` (outcome changed, refused or
        gone). A bad status or list is refused with 422 before anything is queued."""
        job = service.start_status_change(current_site(), data["orders"], data["status"])
        return job_view(job), 202, {"Location": job_progress_url(job)}


@api_blp.route("/order-tags")
class Tags(MethodView):
    def get(self):
        return jsonify({"tags": [tag_json(t) for t in service.list_tags(current_site().id)]})

    @api_blp.arguments(TagSchema)
    def post(self, data):
        return jsonify(tag_json(service.create_tag(current_site().id, data["name"], data["colour"]))), 201


@api_blp.route("/order-tags/<int:tag_id>")
class Tag(MethodView):
    @api_blp.arguments(TagEditSchema)
    def patch(self, data, tag_id):
        return jsonify(tag_json(service.edit_tag(current_site().id, tag_id, data["name"], data["colour"])))

    def delete(self, tag_id):
        service.delete_tag(current_site().id, tag_id)
        return "", 204


@api_blp.route("/order-tags/<int:tag_id>/orders")
class Tagging(MethodView):
    @api_blp.arguments(TaggingSchema)
    def post(self, data, tag_id):
        changed = service.tag_orders(current_site().id, tag_id, data["orders"], add=data["action"] == "add")
        return jsonify({"changed": changed})


# --- order tasks (T3) ------------------------------------------------------------------------------

@api_blp.route("/orders/staff")
class Staff(MethodView):
    def get(self):
        """The people orders can be assigned to: WordPress users who have opened Bikri in this shop,
        with how many open orders each has assigned."""
        site_id = current_site().id
        return jsonify({"staff": [{"wp_user_id": s.wp_user_id, "display_name": s.display_name, "role": s.role,
                                   "open_orders": service.my_open_count(site_id, s.wp_user_id)}
                                  for s in service.list_staff(site_id)]})


@api_blp.route("/orders/assign")
class Assign(MethodView):
    @api_blp.arguments(AssignSchema)
    def post(self, data):
        """Assign orders (at most 500) to a person, reassigning those assigned to someone else, with
        an optional due time; `assignee: null` unassigns. Answers one result per order, in the order
        given: `{wc_id, number, ok, assignee, previous}` or `{wc_id, ok: false, error}`."""
        results = service.assign_orders(current_site().id, data["orders"], data["assignee"], data["due_at"], by="api")
        return jsonify({"results": results, "changed": sum(1 for r in results if r["ok"])})


@api_blp.route("/orders/confirm")
class Confirm(MethodView):
    @api_blp.arguments(ConfirmSchema)
    def post(self, data):
        """Record a phone call to each order's customer and its outcome (confirmed, no_answer,
        wrong_number, cancelled), one result per order. With `cancel_in_woocommerce` and the outcome
        cancelled, the orders are also set cancelled in WooCommerce by a status-change job
        (`status_job`, followed at /api/v1/jobs/<id>)."""
        site = current_site()
        by_name = "api"
        if data["by"] is not None:
            names = service.staff_names(site.id)
            if data["by"] not in names:
                raise invalid({"by": _("Only a person who has opened Bikri in this shop.")})
            by_name = f"{names[data['by']]} (#{data['by']})"
        results = service.confirm_orders(site.id, data["orders"], data["outcome"], data["note"],
                                         by_wp_user_id=data["by"], by_name=by_name)
        job = None
        if data["cancel_in_woocommerce"] and data["outcome"] == "cancelled":
            done = [r["wc_id"] for r in results if r["ok"]]
            if done:
                job = JobSchema().dump(job_view(service.start_status_change(site, done, "cancelled", by=by_name)))
        return jsonify({"results": results, "recorded": sum(1 for r in results if r["ok"]), "status_job": job})
