"""Change a shop's settings row of a domain (checkout, abandoned, ...) the way its form would save it."""
from backend.extensions import db
from backend.licensing.models import Site


def set_shop_settings(app, shop, service, **values):
    with app.app_context():
        settings = service.settings_for(db.session.get(Site, shop.site_id))
        for name, value in values.items():
            setattr(settings, name, value)
        db.session.commit()
