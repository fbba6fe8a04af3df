"""backend.database's bulk writes and list lookups, on the database the suite runs on."""
from datetime import date
from decimal import Decimal

from sqlalchemy import event, select

from backend.dashboard.models import DayCustomers, MonthProduct
from backend.database import in_list, insert_rows_together
from backend.extensions import db


def test_rows_for_several_tables_are_added_together(app, shop):
    site = shop.site_id
    days = [{"site_id": site, "day": date(2026, 11, d), "new_customers": d} for d in (1, 2, 3)]
    months = [{"site_id": site, "month": date(2026, 11, 1), "product_id": p, "orders": 1, "quantity": p, "revenue": "12.50"}
              for p in (7, 8)]
    writes = [(DayCustomers.__table__, days, {"conflict": ("site_id", "day"), "add": ("new_customers",)}),
              (MonthProduct.__table__, months, {"conflict": ("site_id", "month", "product_id"),
                                                "add": ("orders", "quantity", "revenue")}),
              (DayCustomers.__table__, [], {"conflict": ("site_id", "day"), "add": ("new_customers",)})]  # nothing to write
    with app.app_context():
        insert_rows_together(writes)
        seen = []

        def record(_connection, _cursor, statement, *_args):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            insert_rows_together(writes)  # the same again: every measure doubles
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        db.session.commit()
        assert {r.day.day: r.new_customers for r in db.session.scalars(select(DayCustomers))} == {1: 2, 2: 4, 3: 6}
        assert sorted((r.product_id, r.orders, r.quantity, r.revenue) for r in db.session.scalars(select(MonthProduct))) \
            == [(7, 2, 14, Decimal("25.00")), (8, 2, 16, Decimal("25.00"))]
        inserts = [s for s in seen if "INSERT" in s]
        # PostgreSQL: one statement for both tables; SQLite: one per table
        assert len(inserts) == (1 if db.engine.dialect.name == "postgresql" else 2)


def test_in_list_finds_what_in_finds(app, shop):
    site = shop.site_id
    with app.app_context():
        insert_rows_together([(DayCustomers.__table__, [{"site_id": site, "day": date(2026, 1, d), "new_customers": 1}
                                                        for d in range(1, 11)], {})])
        wanted = [date(2026, 1, d) for d in (2, 3, 5, 7, 30)]
        for values in (wanted, wanted[:1], []):
            got = db.session.scalars(select(DayCustomers.day).where(in_list(DayCustomers.day, values))).all()
            assert sorted(got) == sorted(set(values) & {date(2026, 1, d) for d in range(1, 11)})
        db.session.rollback()
