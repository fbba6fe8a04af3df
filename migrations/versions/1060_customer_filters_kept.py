"""customers (U1): the filters by tag and by product bought walk an index in the list's order —
customer_tags carry copies of their customer's sort keys, and customer_products (a customer's
products bought, with the same copies) is kept beside customer_stats; a segment by spend or
by orders has its own indexes

Revision ID: 1060
Revises: 0970
"""
from alembic import op
import sqlalchemy as sa

revision = '1060'
down_revision = '0970'
branch_labels = None
depends_on = None

KEYS = ('last_order_gmt', 'spend', 'orders')
INDEXED = {'last': 'last_order_gmt', 'spend': 'spend', 'orders': 'orders'}  # index name's end: column


def upgrade():
    op.create_table(
        'customer_products',
        sa.Column('customer_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('product_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('last_order_gmt', sa.DateTime(), nullable=True),
        sa.Column('spend', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_products_customer_id_customers'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_customer_products_site_id_sites')),
        sa.PrimaryKeyConstraint('customer_id', 'product_id', name=op.f('pk_customer_products')),
    )
    # the products in each customer's sales orders (the orders customer_stats counts), as
    # stats.products_of reads them, with the customer's keys
    op.execute("""
        INSERT INTO customer_products (customer_id, product_id, site_id, last_order_gmt, spend, orders)
        SELECT bought.customer_id, bought.product_id, s.site_id, s.last_order_gmt, s.spend, s.orders
        FROM (SELECT DISTINCT o.customer_id, i.product_id
              FROM orders o JOIN order_items i ON i.order_id = o.id
              WHERE o.deleted_at IS NULL AND NOT o.excluded_from_sales AND o.customer_id IS NOT NULL
                AND i.product_id IS NOT NULL) AS bought
        JOIN customer_stats s ON s.customer_id = bought.customer_id""")
    for key, column in INDEXED.items():
        op.create_index(f'ix_customer_products_site_product_{key}', 'customer_products',
                        ['site_id', 'product_id', column, 'customer_id'])

    with op.batch_alter_table('customer_tags', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_order_gmt', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('spend', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('orders', sa.Integer(), nullable=True))
    op.execute("UPDATE customer_tags SET " + ", ".join(
        f"{k} = (SELECT s.{k} FROM customer_stats s WHERE s.customer_id = customer_tags.customer_id)" for k in KEYS))
    op.drop_index('ix_customer_tags_site_tag', table_name='customer_tags')
    for key, column in INDEXED.items():
        op.create_index(f'ix_customer_tags_site_tag_{key}', 'customer_tags', ['site_id', 'tag', column, 'customer_id'])
    # a segment by spend or by orders walks its own index too
    op.create_index('ix_customer_stats_site_segment_spend', 'customer_stats', ['site_id', 'segment', 'spend', 'customer_id'])
    op.create_index('ix_customer_stats_site_segment_orders', 'customer_stats', ['site_id', 'segment', 'orders', 'customer_id'])


def downgrade():
    op.drop_index('ix_customer_stats_site_segment_orders', table_name='customer_stats')
    op.drop_index('ix_customer_stats_site_segment_spend', table_name='customer_stats')
    for key in INDEXED:
        op.drop_index(f'ix_customer_tags_site_tag_{key}', table_name='customer_tags')
    op.create_index('ix_customer_tags_site_tag', 'customer_tags', ['site_id', 'tag', 'customer_id'])
    with op.batch_alter_table('customer_tags', schema=None) as batch_op:
        batch_op.drop_column('orders')
        batch_op.drop_column('spend')
        batch_op.drop_column('last_order_gmt')
    op.drop_table('customer_products')
