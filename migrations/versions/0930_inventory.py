"""inventory: products and variations in step, low-stock crossings, stock batches (issue 23)

Revision ID: 0930
Revises: 0960
"""
from alembic import op
import sqlalchemy as sa

revision = '0930'
down_revision = '0960'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(12, 2)


def upgrade():
    op.create_table(
        'stock_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('wc_id', sa.BigInteger(), nullable=False),
        sa.Column('parent_wc_id', sa.BigInteger(), nullable=False),
        sa.Column('type', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=400), nullable=False),
        sa.Column('sku', sa.String(length=100), nullable=True),
        sa.Column('status', sa.String(length=40), nullable=True),
        sa.Column('price', MONEY, nullable=True),
        sa.Column('regular_price', MONEY, nullable=True),
        sa.Column('sale_price', MONEY, nullable=True),
        sa.Column('cost_price', MONEY, nullable=True),
        sa.Column('manage_stock', sa.Boolean(), nullable=False),
        sa.Column('stock_quantity', sa.Integer(), nullable=True),
        sa.Column('stock_status', sa.String(length=40), nullable=True),
        sa.Column('categories', sa.Text(), nullable=True),
        sa.Column('image_url', sa.Text(), nullable=True),
        sa.Column('low_stock_threshold', sa.Integer(), nullable=True),
        sa.Column('date_modified_gmt', sa.DateTime(), nullable=True),
        sa.Column('stock_version', sa.BigInteger(), nullable=False),
        sa.Column('last_sold_at', sa.DateTime(), nullable=True),
        sa.Column('deleted_at', sa.DateTime(), nullable=True),
        sa.Column('synced_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_stock_items_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_items')),
    )
    op.create_index('ix_stock_items_site_id_wc_id', 'stock_items', ['site_id', 'wc_id'], unique=True)
    op.create_index('ix_stock_items_site_id_sku', 'stock_items', ['site_id', 'sku'])
    op.create_index('ix_stock_items_site_id_name', 'stock_items', ['site_id', 'name', 'id'])
    op.create_index('ix_stock_items_site_id_last_sold', 'stock_items', ['site_id', 'last_sold_at', 'id'])
    op.create_table(
        'inventory_settings',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('default_threshold', sa.Integer(), nullable=False),
        sa.Column('cover_days', sa.Integer(), nullable=False),
        sa.Column('alert_phone', sa.String(length=20), nullable=True),
        sa.Column('reconciled_until', sa.DateTime(), nullable=True),
        sa.Column('backfilled_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_inventory_settings_site_id_sites')),
        sa.PrimaryKeyConstraint('site_id', name=op.f('pk_inventory_settings')),
    )
    op.create_table(
        'low_stock_crossings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('threshold', sa.Integer(), nullable=False),
        sa.Column('crossed_at', sa.DateTime(), nullable=False),
        sa.Column('alert', sa.String(length=20), nullable=False),
        sa.Column('reset_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['item_id'], ['stock_items.id'], name=op.f('fk_low_stock_crossings_item_id_stock_items'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_low_stock_crossings_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_low_stock_crossings')),
    )
    op.create_index('ix_low_stock_crossings_site_id_item_id', 'low_stock_crossings', ['site_id', 'item_id', 'reset_at'])
    op.create_table(
        'stock_batches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=True),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('undo_of', sa.Integer(), nullable=True),
        sa.Column('undone', sa.Boolean(), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['work_jobs.id'], name=op.f('fk_stock_batches_job_id_work_jobs')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_stock_batches_site_id_sites')),
        sa.ForeignKeyConstraint(['undo_of'], ['stock_batches.id'], name=op.f('fk_stock_batches_undo_of_stock_batches')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_batches')),
    )
    op.create_index('ix_stock_batches_site_id_id', 'stock_batches', ['site_id', 'id'])
    op.create_table(
        'stock_batch_rows',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('wc_id', sa.BigInteger(), nullable=False),
        sa.Column('parent_wc_id', sa.BigInteger(), nullable=False),
        sa.Column('sku', sa.String(length=100), nullable=True),
        sa.Column('loaded_modified', sa.String(length=30), nullable=True),
        sa.Column('old_stock', sa.Integer(), nullable=True),
        sa.Column('old_regular_price', MONEY, nullable=True),
        sa.Column('old_sale_price', MONEY, nullable=True),
        sa.Column('new_stock', sa.Integer(), nullable=True),
        sa.Column('new_regular_price', MONEY, nullable=True),
        sa.Column('new_sale_price', MONEY, nullable=True),
        sa.Column('set_sale_price', sa.Boolean(), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('message', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['batch_id'], ['stock_batches.id'], name=op.f('fk_stock_batch_rows_batch_id_stock_batches'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_stock_batch_rows_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_batch_rows')),
    )
    op.create_index('ix_stock_batch_rows_batch_id_id', 'stock_batch_rows', ['batch_id', 'id'])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # (PostgreSQL only, see backend/database.DATABASE_ONLY_INDEXES) the stock list's pages walk
        # the live items by name inside the index; the aging report reads its sums from the index
        # alone; search by SKU or name anywhere in the word uses trigrams (pg_trgm, as 0401)
        op.execute("CREATE INDEX ix_stock_items_live_name ON stock_items (site_id, name, id) WHERE deleted_at IS NULL")
        op.execute("CREATE INDEX ix_stock_items_on_hand ON stock_items (site_id, last_sold_at, id) "
                   "INCLUDE (stock_quantity, cost_price, price, type) WHERE deleted_at IS NULL AND stock_quantity > 0")
        try:
            with bind.begin_nested():
                bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        except sa.exc.DBAPIError:
            return
        op.execute("CREATE INDEX ix_stock_items_name_trgm ON stock_items USING gin (lower(name) gin_trgm_ops)")
        op.execute("CREATE INDEX ix_stock_items_sku_trgm ON stock_items USING gin (lower(sku) gin_trgm_ops)")


def downgrade():
    op.drop_table('stock_batch_rows')
    op.drop_table('stock_batches')
    op.drop_table('low_stock_crossings')
    op.drop_table('inventory_settings')
    op.drop_table('stock_items')
