"""The customers JSON API (bearer token, scoped to the caller's site): customers, segments,
campaigns and opt-outs under /api/v1/customers."""
from datetime import timezone

from flask.views import MethodView
from flask_babel import gettext as _

from backend.api import Blueprint, current_site, found_or_404
from backend.customers import campaigns, segments, service, views
from backend.customers.models import SavedSegment
from backend.customers.schemas import (
    CampaignListSchema, CampaignRequestSchema, CampaignSchema, CustomerDetailSchema, CustomerPageSchema, ListArgsSchema,
    OptOutSchema, PreviewRequestSchema, PreviewSchema, SavedSegmentRequestSchema, SavedSegmentSchema, SegmentsSchema,
    TagsSchema,
)
from backend.errors import ApiError, NotFound
from backend.extensions import db, limiter
from backend.fraud.service import read_phone
from backend.clock import utcnow

blp = Blueprint("customers", __name__, url_prefix="/api/v1/customers", description="Customers, segments and SMS campaigns")

API_BLUEPRINTS = [blp]
PAGE_BLUEPRINTS = [views.blp]


def list_filters(site_id: int, args: dict) -> dict:
    filters = {k: args[k] for k in segments.FILTERS if k in args}
    if args.get("saved"):
        saved = found_or_404(segments.saved_segment(site_id, args["saved"]), _("This shop has no such segment."),
                             "segment_not_found")
        filters = {**segments.filters_of(saved), **filters}
    return filters


def _customer(customer_id):
    return found_or_404(service.customer_of(current_site().id, customer_id), _("This shop has no such customer."),
                        "customer_not_found")


def _campaign(campaign_id):
    return found_or_404(campaigns.campaign_for(current_site().id, campaign_id), _("This shop has no such campaign."),
                        "campaign_not_found")


@blp.route("")
class Customers(MethodView):
    @blp.arguments(ListArgsSchema, location="query")
    @blp.response(200, CustomerPageSchema)
    def get(self, args):
        """The shop's customers (one per phone), filtered, latest order first (or by `sort`: spend,
        orders); `next` is the cursor of the following page, for the same sort."""
        site_id = current_site().id
        page = segments.list_customers(site_id, list_filters(site_id, args), sort=args["sort"],
                                       cursor=args.get("cursor"), limit=args["limit"])
        tags = service.tags_of(site_id, [row.customer_id for row in page["customers"]])
        return {"customers": [service.customer_view(row, tags[row.customer_id]) for row in page["customers"]],
                "next": page["next"]}


@blp.route("/<int:customer_id>")
class CustomerDetail(MethodView):
    @blp.response(200, CustomerDetailSchema)
    def get(self, customer_id):
        """One customer: the numbers, recent orders, fraud checks and the SMS the shop sent them."""
        return service.customer_page(_customer(customer_id))


@blp.route("/<int:customer_id>/tags")
class CustomerTags(MethodView):
    @blp.arguments(TagsSchema)
    @blp.response(200, TagsSchema)
    def put(self, data, customer_id):
        """Replace the customer's tags."""
        row = _customer(customer_id)
        return {"tags": service.set_tags(row.site_id, row.customer_id, data["tags"])}


def _saved_view(site_id, saved: SavedSegment) -> dict:
    filters = segments.filters_of(saved)
    return {"id": saved.id, "name": saved.name, "filters": filters, "customers": segments.count(site_id, filters)}


@blp.route("/segments")
class Segments(MethodView):
    @blp.response(200, SegmentsSchema)
    def get(self):
        """How many customers each RFM segment holds, and the shop's saved segments."""
        site_id = current_site().id
        return {"rfm": segments.segment_counts(site_id),
                "saved": [_saved_view(site_id, s) for s in segments.saved_segments(site_id)]}

    @blp.arguments(SavedSegmentRequestSchema)
    @blp.response(201, SavedSegmentSchema)
    def post(self, data):
        """Save a segment: a name and its filters (a name used again replaces its filters)."""
        site_id = current_site().id
        saved = service.save_segment(site_id, data["name"], data["filters"])
        return _saved_view(site_id, saved)


@blp.route("/segments/<int:segment_id>")
class SavedSegmentDetail(MethodView):
    @blp.response(204)
    def delete(self, segment_id):
        """Delete a saved segment."""
        if not service.delete_segment(current_site().id, segment_id):
            raise NotFound(_("This shop has no such segment."), code="segment_not_found")


def _audience(site, data):
    """(audience, phones or None, csv report) from a request."""
    audience = data["audience"]
    if "csv" in audience:
        parsed = campaigns.parse_csv(audience["csv"])
        if not parsed["phones"]:
            raise ApiError(_("No phone in the file can be used; each bad row is listed."), code="validation_error",
                           status=422, details={"csv": [f"{row['line']}: {row['error']}" for row in parsed["bad_rows"][:100]]})
        return {}, parsed["phones"], {"bad_rows": parsed["bad_rows"], "duplicates": parsed["duplicates"]}
    return audience, None, {"bad_rows": [], "duplicates": 0}


@blp.route("/campaigns/preview")
class CampaignPreview(MethodView):
    @blp.arguments(PreviewRequestSchema)
    @blp.response(200, PreviewSchema)
    def post(self, data):
        """Who a campaign would reach and what it would cost (exactly), beside the balance; sends nothing."""
        site = current_site()
        audience, phones, report = _audience(site, data)
        return {**campaigns.preview(site, content=data["content"], audience=audience, with_opt_out=data["opt_out_line"],
                                    phones=phones), **report}


@blp.route("/campaigns")
class Campaigns(MethodView):
    @blp.response(200, CampaignListSchema)
    def get(self):
        """The shop's latest campaigns with their delivery report."""
        return {"campaigns": [campaigns.report(c) for c in campaigns.campaigns_of(current_site().id)]}

    @limiter.limit("20/minute")
    @blp.arguments(CampaignRequestSchema)
    @blp.response(202, CampaignSchema)
    def post(self, data):
        """Create a campaign: now (charged at once and queued in the bulk lane) or at `send_at`
        (charged when it starts). Opted-out phones are left out; a CSV's bad rows are reported."""
        site = current_site()
        audience, phones, report = _audience(site, data)
        send_at = data["send_at"].astimezone(timezone.utc).replace(tzinfo=None) if data["send_at"] else None
        campaign = campaigns.create(site, name=data["name"], content=data["content"], audience=audience,
                                    with_opt_out=data["opt_out_line"], phones=phones,
                                    scheduled_at=send_at if send_at and send_at > utcnow() else None, created_by="API")
        db.session.flush()
        return {**campaigns.report(campaign), **report}


@blp.route("/campaigns/<int:campaign_id>")
class CampaignDetail(MethodView):
    @blp.response(200, CampaignSchema)
    def get(self, campaign_id):
        """A campaign's delivery report: sent, failed (refunded), opted out, waiting; its cost."""
        return campaigns.report(_campaign(campaign_id))


@blp.route("/campaigns/<int:campaign_id>/pause")
class CampaignPause(MethodView):
    @blp.response(200, CampaignSchema)
    def post(self, campaign_id):
        """Pause: the workers stop at the next recipient."""
        return campaigns.report(campaigns.pause(_campaign(campaign_id)))


@blp.route("/campaigns/<int:campaign_id>/resume")
class CampaignResume(MethodView):
    @blp.response(200, CampaignSchema)
    def post(self, campaign_id):
        """Resume: the recipients not yet sent are queued again (none is sent twice)."""
        return campaigns.report(campaigns.resume(current_site(), _campaign(campaign_id)))


@blp.route("/campaigns/<int:campaign_id>/cancel")
class CampaignCancel(MethodView):
    @blp.response(200, CampaignSchema)
    def post(self, campaign_id):
        """Cancel a campaign that has not started (nothing was charged)."""
        return campaigns.report(campaigns.cancel(_campaign(campaign_id)))


@blp.route("/opt-outs")
class OptOuts(MethodView):
    @blp.arguments(OptOutSchema)
    @blp.response(204)
    def post(self, data):
        """A phone that asked for no more campaign SMS from this shop."""
        campaigns.opt_out(current_site().id, read_phone(data["phone"]))

    @blp.arguments(OptOutSchema)
    @blp.response(204)
    def delete(self, data):
        """A phone that asked for campaigns again."""
        campaigns.opt_in(current_site().id, read_phone(data["phone"]))
