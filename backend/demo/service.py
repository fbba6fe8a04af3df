import json

from flask import current_app
from sqlalchemy import select

from backend.config import INSTANCE_DIR
from backend.extensions import db
from backend.licensing import service as licensing
from backend.licensing.models import Site
from backend.operator.models import Operator
from backend.operator.service import create_operator

DEMO_EMAIL = "demo-shop@bikri.test"
DEMO_OPERATOR = "operator@bikri.test"
DEMO_OPERATOR_PASSWORD = "demo-operator-pass"
STATE_FILE = INSTANCE_DIR / "demo.json"


def demo_site_url() -> str:
    return f"{current_app.config['PUBLIC_URL']}/demo-shop"


def set_up_demo() -> dict:
    """Create (once) a demo license, a demo site activated on it and a demo operator."""
    state = json.loads(STATE_FILE.read_text()) if STATE_FILE.exists() else {}
    license = licensing.find_license_by_key(state["license_key"]) if state.get("license_key") else None
    if license is None:
        license, key = licensing.create_license(DEMO_EMAIL, sites=3, days=365, plan="demo")
        state["license_key"] = key
    site, _token = licensing.activate_site(state["license_key"], demo_site_url())
    if db.session.execute(select(Operator).where(Operator.email == DEMO_OPERATOR)).scalar_one_or_none() is None:
        create_operator(DEMO_OPERATOR, DEMO_OPERATOR_PASSWORD)
    db.session.commit()
    STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
    STATE_FILE.write_text(json.dumps(state))
    STATE_FILE.chmod(0o600)
    return {"license_key": state["license_key"], "site_id": site.id, "site_url": site.url}


def demo_site() -> Site | None:
    _url, url_key = licensing.normalise_site_url(demo_site_url())
    return db.session.execute(
        select(Site).where(Site.url_key == url_key, Site.token_hash.is_not(None))
    ).scalars().first()
