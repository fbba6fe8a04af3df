"""dashboard: delivered orders and their revenue in the daily source rollup (D11's delivered
return on ad spend by campaign, read from dash_day_source instead of the orders on every view)

Revision ID: 1090
Revises: 1080
"""
from collections import defaultdict
from urllib.parse import urlsplit

from alembic import op
import sqlalchemy as sa

revision = '1090'
down_revision = '1080'
branch_labels = None
depends_on = None

# rollups.NOT_SALES as of this revision: orders that are not sales have no source row
NOT_SALES = ('pending', 'failed', 'cancelled', 'refunded', 'returned')


def referrer_host(referrer):
    """rollups.referrer_host as of this revision (the key the rows were written with)."""
    if not referrer:
        return ''
    try:
        host = urlsplit(referrer if '//' in referrer else f'//{referrer}').hostname or ''
    except ValueError:
        return ''
    return host.removeprefix('www.')[:200]


def upgrade():
    with op.batch_alter_table('dash_day_source', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivered_orders', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('delivered_revenue', sa.BigInteger(), server_default='0', nullable=False))
    # The orders already stored, as rollups.contributions counts them: each sale whose parcel was
    # delivered, on the Dhaka day it was placed, under its source key. Summed in SQL by the raw
    # referrer; its host (the key) is taken here, as the rollup takes it. Money columns hold whole
    # ten-thousandths; the orders' own are two-place decimals (REAL on SQLite, hence the ROUND).
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    day = "date(date_created_gmt, '+6 hours')" if sqlite else "CAST(date_created_gmt + interval '6 hours' AS date)"
    keys = ("COALESCE(source_type, '')", "COALESCE(utm_source, '')", "COALESCE(utm_medium, '')",
            "COALESCE(utm_campaign, '')", "referrer", "COALESCE(created_via, '')", "COALESCE(click_source, '')")
    not_sales = ', '.join(f"'{status}'" for status in NOT_SALES)
    rows = bind.execute(sa.text(f"""
        SELECT site_id, {day} AS day, {', '.join(keys)}, count(*) AS orders,
               sum(CAST(ROUND(COALESCE(total, 0) * 10000) AS BIGINT)
                   - CAST(ROUND(COALESCE(refunded_total, 0) * 10000) AS BIGINT)) AS revenue
        FROM orders
        WHERE NOT excluded_from_sales AND deleted_at IS NULL AND delivered_gmt IS NOT NULL
          AND status NOT IN ({not_sales})
        GROUP BY site_id, {day}, {', '.join(keys)}""")).all()
    delivered = defaultdict(lambda: [0, 0])
    for site_id, day_, source_type, utm_source, utm_medium, utm_campaign, referrer, via, click, orders, revenue in rows:
        key = (site_id, day_, source_type, utm_source, utm_medium, utm_campaign, referrer_host(referrer), via, click)
        delivered[key][0] += orders
        delivered[key][1] += int(revenue or 0)
    if delivered:
        bind.execute(sa.text("""
            UPDATE dash_day_source SET delivered_orders = :orders, delivered_revenue = :revenue
            WHERE site_id = :site_id AND day = :day AND source_type = :source_type AND utm_source = :utm_source
              AND utm_medium = :utm_medium AND utm_campaign = :utm_campaign AND referrer_host = :referrer_host
              AND created_via = :created_via AND click_source = :click_source"""),
            [dict(zip(('site_id', 'day', 'source_type', 'utm_source', 'utm_medium', 'utm_campaign', 'referrer_host',
                       'created_via', 'click_source'), key), orders=orders, revenue=revenue)
             for key, (orders, revenue) in sorted(delivered.items())])


def downgrade():
    with op.batch_alter_table('dash_day_source', schema=None) as batch_op:
        batch_op.drop_column('delivered_revenue')
        batch_op.drop_column('delivered_orders')
