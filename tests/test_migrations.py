"""The schema comes from Alembic: the migrations must match the models and go down and up again."""
from datetime import datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from backend.database import include_object
from backend.extensions import db


def test_models_and_migrations_agree(app):
    with app.app_context():
        with db.engine.connect() as connection:
            opts = {"render_as_batch": True, "include_object": include_object}
            diff = compare_metadata(MigrationContext.configure(connection, opts=opts), db.metadata)
    assert diff == [], f"models changed without a migration: {diff}"


def test_downgrade_to_base_and_upgrade_again(app):
    with app.app_context():
        downgrade(revision="base")
        assert "licenses" not in inspect(db.engine).get_table_names()
        upgrade()
        assert {"licenses", "sites", "embed_tickets", "operators", "job_locks"} <= set(inspect(db.engine).get_table_names())


def test_0790_fills_woocommerces_basis_as_the_rollup_counts_it(app, shop):
    """The migration sums the orders already stored into dash_day_paid in SQL; the rollup's own
    rebuild (rollups.paid_contributions, refunds dated by the stored version) must give the same rows."""
    from sqlalchemy import select, text

    from backend.dashboard import rollups
    from backend.dashboard.models import DayPaid

    rows = [  # status, total, refunded, paid, modified
        ("completed", "1060.10", "0", "2026-03-01 17:59:59", "2026-03-02 10:00:00"),
        ("completed", "999.99", "0", "2026-03-01 18:00:00", "2026-03-03 10:00:00"),  # the next Dhaka day
        ("refunded", "500.05", "500.05", "2026-03-01 05:00:00", "2026-03-04 20:00:00"),
        ("processing", "300.30", "100.10", None, "2026-03-04 01:00:00"),  # COD, not paid yet: its refund counts
        ("cancelled", "700.00", "50.00", "2026-03-01 05:00:00", "2026-03-04 01:00:00"),  # left out, refund too
    ]
    with app.app_context():
        def snapshot():
            return sorted((r.day, r.orders, r.total, r.subtotal, r.discount, r.shipping, r.refunded) for r in
                          db.session.execute(select(DayPaid).where(DayPaid.site_id == shop.site_id)).scalars())
        downgrade(revision="0740")
        for n, (status, total, refunded, paid, modified) in enumerate(rows, 1):
            db.session.execute(text(
                "INSERT INTO orders (site_id, wc_id, status, excluded_from_sales, total, subtotal, discount_total,"
                " shipping_total, total_tax, refunded_total, date_created_gmt, date_modified_gmt, date_paid_gmt,"
                " content_hash, synced_at) VALUES (:site, :n, :status, false, :total, :total, 10.5, 60, 0, :refunded,"
                " '2026-03-01 00:00:00', :modified, :paid, 'x', '2026-03-05 00:00:00')"),
                {"site": shop.site_id, "n": n, "status": status, "total": total, "refunded": refunded,
                 "paid": paid, "modified": modified})
        db.session.commit()
        upgrade()
        migrated = snapshot()
        assert len(migrated) == 4 and sum(r[1] for r in migrated) == 3
        rollups.rebuild_site(shop.site_id)
        assert snapshot() == migrated
        db.session.rollback()


def test_1090_fills_delivered_sales_by_source_as_the_rollup_counts_them(app, shop):
    """The migration sums the delivered sales already stored into dash_day_source (by the
    referrer's host, as the rollup keys it); the rollup's own rebuild must give the same rows."""
    from sqlalchemy import select

    from backend.dashboard import rollups
    from backend.dashboard.models import DaySource
    from backend.orders.service import delete_orders, upsert_orders

    def order(wc_id, status, total, created="2026-03-01T17:59:59", referrer=None, campaign="eid", **more):
        meta = [{"key": "_wc_order_attribution_utm_source", "value": "facebook"},
                {"key": "_wc_order_attribution_utm_medium", "value": "cpc"},
                {"key": "_wc_order_attribution_utm_campaign", "value": campaign}]
        if referrer:
            meta.append({"key": "_wc_order_attribution_referrer", "value": referrer})
        return {"id": wc_id, "status": status, "date_created_gmt": created, "date_modified_gmt": created,
                "total": total, "meta_data": meta, **more}

    with app.app_context():
        def snapshot():
            return sorted((r.day, r.utm_campaign, r.referrer_host, r.orders, r.revenue, r.delivered_orders,
                           r.delivered_revenue) for r in
                          db.session.execute(select(DaySource).where(DaySource.site_id == shop.site_id)).scalars())
        upsert_orders(shop.site_id, [
            order(1, "completed", "1060.10", referrer="https://www.facebook.com/ads?x=1"),
            order(2, "completed", "999.99", referrer="www.facebook.com/story"),  # the same host by another referrer
            order(3, "completed", "500.05", created="2026-03-01T18:00:00",  # the next Dhaka day
                  refunds=[{"id": 7, "total": "-100.05"}]),
            order(4, "processing", "300.30"),  # not delivered yet
            order(5, "completed", "700.00", campaign="winter"),
            order(6, "completed", "800.00", campaign="winter"),
            order(7, "completed", "900.00")])
        upsert_orders(shop.site_id, [order(5, "returned", "700.00", campaign="winter", date_modified_gmt="2026-03-05T00:00:00")])
        delete_orders(shop.site_id, [(7, datetime(2026, 3, 6))])
        db.session.commit()
        kept = snapshot()
        assert sum(r[5] for r in kept) == 4
        db.session.commit()  # the migration's connection alters the table: no transaction of ours may hold it
        downgrade(revision="1080")
        upgrade()
        assert snapshot() == kept
        rollups.rebuild_site(shop.site_id)
        assert snapshot() == kept
        db.session.rollback()
