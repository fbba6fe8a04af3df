"""Feature requests (H1): a shop asks, shops vote on what the operators planned, operators set
the status and reply. Every read and write is scoped by the calling shop."""
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from backend.extensions import db
from backend.ideas.models import FeatureRequest, FeatureVote, IdeaStatus
from backend.licensing.models import Site
from backend.clock import utcnow

REQUESTS_PER_DAY = 5


class IdeaError(ValueError):
    pass


def submit(site: Site, title: str, body: str, asked_by: str = "") -> FeatureRequest:
    title, body = (title or "").strip(), (body or "").strip()
    if not 3 <= len(title) <= 120:
        raise IdeaError(_("Write what you need in 3 to 120 characters."))
    if len(body) > 2000:
        raise IdeaError(_("At most %(n)s characters.", n=2000))
    since = utcnow() - timedelta(days=1)
    recent = db.session.execute(select(func.count(FeatureRequest.id)).where(
        FeatureRequest.site_id == site.id, FeatureRequest.created_at >= since)).scalar_one()
    if recent >= REQUESTS_PER_DAY:
        raise IdeaError(_("Your shop sent %(n)s requests today; send more tomorrow.", n=REQUESTS_PER_DAY))
    request = FeatureRequest(site_id=site.id, title=title, body=body, asked_by=(asked_by or "")[:120])
    db.session.add(request)
    db.session.flush()
    db.session.add(FeatureVote(request_id=request.id, site_id=site.id))
    db.session.flush()
    return request


def _visible(site_id: int):
    return or_(FeatureRequest.site_id == site_id, FeatureRequest.status.in_(IdeaStatus.PUBLIC))


def for_shop(site: Site) -> dict:
    """The shop's own requests (with the operators' replies) and the planned and done ones of
    every shop (titles only, never who asked), each with whether this shop voted."""
    rows = db.session.execute(
        select(FeatureRequest, FeatureVote.id.is_not(None))
        .outerjoin(FeatureVote, (FeatureVote.request_id == FeatureRequest.id) & (FeatureVote.site_id == site.id))
        .where(_visible(site.id)).order_by(FeatureRequest.votes.desc(), FeatureRequest.id.desc()).limit(100)
    ).all()
    own = [(request, voted) for request, voted in rows if request.site_id == site.id]
    public = [(request, voted) for request, voted in rows if request.site_id != site.id]
    return {"own": own, "public": public}


def vote(site: Site, request_id: int) -> FeatureRequest | None:
    """One vote per shop on a planned request (its own counts already). None: not one this shop may vote on."""
    request = db.session.execute(select(FeatureRequest).where(
        FeatureRequest.id == request_id, _visible(site.id))).scalar_one_or_none()
    if request is None or request.status != IdeaStatus.PLANNED:
        return None
    voted = db.session.execute(select(FeatureVote.id).where(
        FeatureVote.request_id == request.id, FeatureVote.site_id == site.id)).first()
    if not voted:
        db.session.add(FeatureVote(request_id=request.id, site_id=site.id))
        db.session.flush()
        request.votes = db.session.execute(select(func.count(FeatureVote.id)).where(
            FeatureVote.request_id == request.id)).scalar_one()
        db.session.flush()
    return request


# --- the operators ---------------------------------------------------------------------------------


def all_requests(status: str | None = None) -> list[tuple[FeatureRequest, Site]]:
    query = select(FeatureRequest, Site).join(Site, Site.id == FeatureRequest.site_id)
    if status in IdeaStatus.ALL:
        query = query.where(FeatureRequest.status == status)
    return db.session.execute(query.order_by(FeatureRequest.votes.desc(), FeatureRequest.id.desc()).limit(500)).all()


def answer(request: FeatureRequest, status: str, reply: str) -> FeatureRequest:
    if status not in IdeaStatus.ALL:
        raise IdeaError(_("Choose a status."))
    reply = (reply or "").strip()
    if len(reply) > 2000:
        raise IdeaError(_("At most %(n)s characters.", n=2000))
    request.status = status
    if reply != (request.reply or ""):
        request.reply = reply or None
        request.replied_at = utcnow() if reply else None
    db.session.flush()
    return request
