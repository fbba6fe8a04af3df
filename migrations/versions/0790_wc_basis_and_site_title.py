"""dashboard: a daily rollup counted like WooCommerce Analytics (by date paid, refunds on their own
days) and each order's refunds one by one; sites: the WordPress site title and locale

Revision ID: 0790
Revises: 0740
"""
from alembic import op
import sqlalchemy as sa

revision = '0790'
down_revision = '0740'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('locale', sa.String(length=16), nullable=True))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunds', sa.Text(), nullable=True))
    op.create_table('dash_day_paid',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.Column('total', sa.BigInteger(), nullable=False),
        sa.Column('subtotal', sa.BigInteger(), nullable=False),
        sa.Column('discount', sa.BigInteger(), nullable=False),
        sa.Column('shipping', sa.BigInteger(), nullable=False),
        sa.Column('refunded', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_dash_day_paid_site_id_sites')),
        sa.PrimaryKeyConstraint('site_id', 'day', name=op.f('pk_dash_day_paid')))
    # The orders already stored, as rollups.paid_contributions counts them. Their refunds have no
    # dates yet (`refunds` is NULL): the whole refunded amount is dated by the stored version's
    # modification time, as the rollup does for such orders. Money columns hold whole
    # ten-thousandths; the orders' own are two-place decimals (REAL on SQLite, hence the ROUND).
    sqlite = op.get_bind().dialect.name == 'sqlite'
    day = (lambda c: f"date({c}, '+6 hours')") if sqlite else (lambda c: f"CAST({c} + interval '6 hours' AS date)")
    money = lambda c: f"CAST(ROUND({c} * 10000) AS BIGINT)"  # noqa: E731
    counted = ("NOT excluded_from_sales AND deleted_at IS NULL "
               "AND status NOT IN ('pending', 'failed', 'cancelled')")
    op.execute(f"""
        INSERT INTO dash_day_paid (site_id, day, orders, total, subtotal, discount, shipping, refunded)
        SELECT site_id, day, sum(orders), sum(total), sum(subtotal), sum(discount), sum(shipping), sum(refunded)
        FROM (SELECT site_id, {day('date_paid_gmt')} AS day, 1 AS orders, {money('total')} AS total,
                     {money('subtotal')} AS subtotal, {money('discount_total')} AS discount,
                     {money('shipping_total')} AS shipping, 0 AS refunded
              FROM orders WHERE {counted} AND date_paid_gmt IS NOT NULL
              UNION ALL
              SELECT site_id, {day('date_modified_gmt')}, 0, 0, 0, 0, 0, {money('refunded_total')}
              FROM orders WHERE {counted} AND refunded_total > 0) AS parts
        GROUP BY site_id, day""")


def downgrade():
    op.drop_table('dash_day_paid')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('refunds')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('locale')
        batch_op.drop_column('name')
