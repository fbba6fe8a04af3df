"""dashboard: the revenue of delivered orders in the daily status rollup (the profit widget's
delivered return on ad spend); customers: the list sorted by spend or orders, paged by (key, id)

Revision ID: 1040
Revises: 1030
"""
from alembic import op
import sqlalchemy as sa

revision = '1040'
down_revision = '1030'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dash_day_status', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivered_revenue', sa.BigInteger(), server_default='0', nullable=False))
    # The orders already stored, as rollups.contributions counts them: total − refunds of each
    # order whose parcel was delivered, on the Dhaka day it was placed. Money columns hold whole
    # ten-thousandths; the orders' own are two-place decimals (REAL on SQLite, hence the ROUND).
    sqlite = op.get_bind().dialect.name == 'sqlite'
    day = "date(date_created_gmt, '+6 hours')" if sqlite else "CAST(date_created_gmt + interval '6 hours' AS date)"
    op.execute(f"""
        UPDATE dash_day_status SET delivered_revenue = delivered.revenue
        FROM (SELECT site_id, {day} AS day, status,
                     sum(CAST(ROUND(COALESCE(total, 0) * 10000) AS BIGINT)
                         - CAST(ROUND(COALESCE(refunded_total, 0) * 10000) AS BIGINT)) AS revenue
              FROM orders
              WHERE NOT excluded_from_sales AND deleted_at IS NULL AND delivered_gmt IS NOT NULL
              GROUP BY site_id, {day}, status) AS delivered
        WHERE dash_day_status.site_id = delivered.site_id AND dash_day_status.day = delivered.day
          AND dash_day_status.status = delivered.status""")
    # the customer list by spend or orders: keyset pages start at (key, id) in the index
    op.drop_index('ix_customer_stats_site_spend', table_name='customer_stats')
    op.drop_index('ix_customer_stats_site_orders', table_name='customer_stats')
    op.create_index('ix_customer_stats_site_spend_id', 'customer_stats', ['site_id', 'spend', 'customer_id'])
    op.create_index('ix_customer_stats_site_orders_id', 'customer_stats', ['site_id', 'orders', 'customer_id'])


def downgrade():
    op.drop_index('ix_customer_stats_site_orders_id', table_name='customer_stats')
    op.drop_index('ix_customer_stats_site_spend_id', table_name='customer_stats')
    op.create_index('ix_customer_stats_site_orders', 'customer_stats', ['site_id', 'orders'])
    op.create_index('ix_customer_stats_site_spend', 'customer_stats', ['site_id', 'spend'])
    with op.batch_alter_table('dash_day_status', schema=None) as batch_op:
        batch_op.drop_column('delivered_revenue')
