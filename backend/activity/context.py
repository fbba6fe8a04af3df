"""Who is writing, from where, and the IP: read once per request (or task run) from what the
request already knows (the embed user, the API key's site) and what the job runner and the
task runner put in `g` ("activity_task": (task name, job id); "job_name")."""
from flask import g, has_app_context, has_request_context, request
from sqlalchemy import select

from backend.extensions import db
from backend.tasks.models import WorkJob

BIKRI = "Bikri"


def who() -> dict:
    """{"actor_kind", "actor", "actor_id", "source", "ip"} for the current write."""
    if not has_app_context():
        return {"actor_kind": "bikri", "actor": BIKRI, "actor_id": None, "source": "", "ip": None}
    cached = g.get("activity_who")
    if cached is not None:
        return cached
    found = _resolve()
    g.activity_who = found
    return found


def forget() -> None:
    """Drop the cached answer (the task runner calls it between runs in one app context)."""
    if has_app_context():
        g.pop("activity_who", None)


def _resolve() -> dict:
    ip = request.remote_addr if has_request_context() else None
    user = g.get("embed_user")
    if user is not None:
        source = request.headers.get("HX-Current-URL") or request.path if has_request_context() else ""
        return {"actor_kind": "user", "actor": user.display_name[:120], "actor_id": user.wp_user_id,
                "source": _page_of(source, request.path if has_request_context() else ""), "ip": ip}
    task = g.get("activity_task")
    if task is not None:
        name, job_id = task
        started_by = db.session.execute(select(WorkJob.started_by).where(WorkJob.id == job_id)).scalar() if job_id else None
        return {"actor_kind": "bikri", "actor": (started_by or BIKRI)[:120], "actor_id": None,
                "source": f"task {name}"[:200], "ip": ip}
    if has_request_context() and g.get("site") is not None:
        return {"actor_kind": "api", "actor": "API key", "actor_id": None,
                "source": f"{request.method} {request.path}"[:200], "ip": ip}
    job = g.get("job_name")
    return {"actor_kind": "bikri", "actor": BIKRI, "actor_id": None, "source": f"job {job}" if job else "", "ip": ip}


def _page_of(url: str, path: str) -> str:
    """The embed page the action came from (htmx sends the page's URL) and the route it asked."""
    page = url.split("?", 1)[0]
    page = page[page.find("/embed/"):] if "/embed/" in page else ""
    return (f"{page} → {path}" if page and page != path else path)[:200]
