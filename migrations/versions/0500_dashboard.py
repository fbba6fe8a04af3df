"""dashboard: daily rollups, sales targets; orders gain refunds, click source, milestones

Revision ID: 0500
Revises: 0100
"""
from alembic import op
import sqlalchemy as sa

revision = '0500'
down_revision = '0401'
branch_labels = None
depends_on = None


def _site(name):
    return sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f(f'fk_{name}_site_id_sites'))


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunded_total', sa.Numeric(precision=12, scale=2), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('click_source', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('shipped_gmt', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('delivered_gmt', sa.DateTime(), nullable=True))

    op.create_table('dash_day_status',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=40), nullable=False),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.Column('customer_orders', sa.Integer(), nullable=False),
        sa.Column('total', sa.BigInteger(), nullable=False),
        sa.Column('subtotal', sa.BigInteger(), nullable=False),
        sa.Column('discount', sa.BigInteger(), nullable=False),
        sa.Column('shipping', sa.BigInteger(), nullable=False),
        sa.Column('refunded', sa.BigInteger(), nullable=False),
        _site('dash_day_status'),
        sa.PrimaryKeyConstraint('site_id', 'day', 'status', name=op.f('pk_dash_day_status')))
    op.create_table('dash_day_source',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('source_type', sa.String(length=60), nullable=False),
        sa.Column('utm_source', sa.String(length=200), nullable=False),
        sa.Column('utm_medium', sa.String(length=200), nullable=False),
        sa.Column('utm_campaign', sa.String(length=200), nullable=False),
        sa.Column('referrer_host', sa.String(length=200), nullable=False),
        sa.Column('created_via', sa.String(length=60), nullable=False),
        sa.Column('click_source', sa.String(length=20), nullable=False),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.Column('revenue', sa.BigInteger(), nullable=False),
        _site('dash_day_source'),
        sa.PrimaryKeyConstraint('site_id', 'day', 'source_type', 'utm_source', 'utm_medium', 'utm_campaign',
                                'referrer_host', 'created_via', 'click_source', name=op.f('pk_dash_day_source')))
    op.create_table('dash_day_product',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('product_id', sa.BigInteger(), nullable=False),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('revenue', sa.BigInteger(), nullable=False),
        _site('dash_day_product'),
        sa.PrimaryKeyConstraint('site_id', 'day', 'product_id', name=op.f('pk_dash_day_product')))
    op.create_table('dash_month_product',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('product_id', sa.BigInteger(), nullable=False),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('revenue', sa.BigInteger(), nullable=False),
        _site('dash_month_product'),
        sa.PrimaryKeyConstraint('site_id', 'month', 'product_id', name=op.f('pk_dash_month_product')))
    op.create_table('dash_day_cycle',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('stage', sa.String(length=20), nullable=False),
        sa.Column('hours', sa.Integer(), nullable=False),
        sa.Column('orders', sa.Integer(), nullable=False),
        _site('dash_day_cycle'),
        sa.PrimaryKeyConstraint('site_id', 'day', 'stage', 'hours', name=op.f('pk_dash_day_cycle')))
    op.create_table('dash_day_customers',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('new_customers', sa.Integer(), nullable=False),
        _site('dash_day_customers'),
        sa.PrimaryKeyConstraint('site_id', 'day', name=op.f('pk_dash_day_customers')))
    op.create_table('dash_sales_targets',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('set_by', sa.String(length=100), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        _site('dash_sales_targets'),
        sa.PrimaryKeyConstraint('site_id', 'month', name=op.f('pk_dash_sales_targets')))


def downgrade():
    for table in ('dash_sales_targets', 'dash_day_customers', 'dash_day_cycle', 'dash_month_product', 'dash_day_product', 'dash_day_source',
                  'dash_day_status'):
        op.drop_table(table)
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('delivered_gmt')
        batch_op.drop_column('shipped_gmt')
        batch_op.drop_column('click_source')
        batch_op.drop_column('refunded_total')
