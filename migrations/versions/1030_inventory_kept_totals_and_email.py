"""inventory: the aging report's totals kept by triggers, units sold per item and day, the owner's
email for low-stock alerts (issue 23)

Revision ID: 1030
Revises: 0980
"""
from alembic import op
import sqlalchemy as sa

revision = '1030'
down_revision = '0980'
branch_labels = None
depends_on = None


# PostgreSQL keeps the aging report's bucket totals with statement triggers on stock_items, as
# 0810 keeps the desk's tab counts: each statement appends, per shop and (Dhaka) day of the last
# sale, the items, units and value on hand it added or took away. Appending (never updating a
# shared row) means concurrent writers never wait on or deadlock over a total; the report sums a
# few hundred rows (one per day with a last sale) instead of every item on hand, and a job folds
# the rows together. Summing the items directly took ~136 ms at 50,000 products (bench/inventory.py).
ON_HAND = "{t}.deleted_at IS NULL AND {t}.stock_quantity > 0 AND {t}.type <> 'variable'"
# an item's part of the totals; `sign` - for the version a statement took away
CONTRIBUTION = ("{t}.site_id, COALESCE(({t}.last_sold_at + interval '6 hours')::date, date '0001-01-01') AS sold_day, "
                "{sign}{t}.stock_quantity AS units, "
                "{sign}{t}.stock_quantity * round(COALESCE({t}.cost_price, {t}.price, 0) * 100) AS value")
AGING_FIELDS = ("site_id", "last_sold_at", "stock_quantity", "cost_price", "price", "type", "deleted_at")
CHANGED = "({}) IS DISTINCT FROM ({})".format(", ".join(f"o.{f}" for f in AGING_FIELDS), ", ".join(f"n.{f}" for f in AGING_FIELDS))
TRIGGERS = f"""
CREATE FUNCTION bikri_stock_aging_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stock_aging_deltas (site_id, sold_day, items, units, value_poisha)
  SELECT site_id, sold_day, count(*), sum(units), sum(value) FROM (
    SELECT {CONTRIBUTION.format(t='n', sign='')} FROM new_rows n WHERE {ON_HAND.format(t='n')}
  ) added GROUP BY site_id, sold_day;
  RETURN NULL;
END $$;
CREATE FUNCTION bikri_stock_aging_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stock_aging_deltas (site_id, sold_day, items, units, value_poisha)
  SELECT site_id, sold_day, -count(*), sum(units), sum(value) FROM (
    SELECT {CONTRIBUTION.format(t='o', sign='-')} FROM old_rows o WHERE {ON_HAND.format(t='o')}
  ) taken GROUP BY site_id, sold_day;
  RETURN NULL;
END $$;
CREATE FUNCTION bikri_stock_aging_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- only rows whose stock, price, last sale or deletion changed count; a name change adds nothing
  INSERT INTO stock_aging_deltas (site_id, sold_day, items, units, value_poisha)
  SELECT site_id, sold_day, sum(items), sum(units), sum(value) FROM (
    SELECT {CONTRIBUTION.format(t='o', sign='-')}, -1 AS items FROM old_rows o JOIN new_rows n ON n.id = o.id
     WHERE {ON_HAND.format(t='o')} AND {CHANGED}
    UNION ALL
    SELECT {CONTRIBUTION.format(t='n', sign='')}, 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
     WHERE {ON_HAND.format(t='n')} AND {CHANGED}
  ) changed GROUP BY site_id, sold_day;
  RETURN NULL;
END $$;
CREATE TRIGGER stock_items_aging_insert AFTER INSERT ON stock_items REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bikri_stock_aging_insert();
CREATE TRIGGER stock_items_aging_delete AFTER DELETE ON stock_items REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bikri_stock_aging_delete();
CREATE TRIGGER stock_items_aging_update AFTER UPDATE ON stock_items REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bikri_stock_aging_update();
"""

# the units sold per item and Dhaka day, from the orders already stored: as the inventory listener
# counts them (a line counts for its product and for its variation; orders that are not sales left out)
NOT_SOLD = "('pending', 'failed', 'cancelled', 'refunded', 'returned')"
SALES_FILL = """
INSERT INTO item_sales_days (site_id, wc_id, day, quantity)
SELECT site_id, wc_id, day, sum(quantity) FROM (
  SELECT o.site_id, i.product_id AS wc_id, {day} AS day, i.quantity FROM order_items i JOIN orders o ON o.id = i.order_id
   WHERE i.product_id <> 0 {sold}
  UNION ALL
  SELECT o.site_id, i.variation_id, {day}, i.quantity FROM order_items i JOIN orders o ON o.id = i.order_id
   WHERE i.variation_id <> 0 {sold}
) lines GROUP BY site_id, wc_id, day HAVING sum(quantity) <> 0
"""
SOLD = f"AND o.deleted_at IS NULL AND o.excluded_from_sales = false AND o.status NOT IN {NOT_SOLD}"


# each item's units sold in the last 30 days (today and the 29 before, in Dhaka)
UNITS_SOLD_FILL = """
UPDATE stock_items SET sold_since = {start},
  units_sold_30 = COALESCE((SELECT sum(d.quantity) FROM item_sales_days d
                            WHERE d.site_id = stock_items.site_id AND d.wc_id = stock_items.wc_id AND d.day >= {start}), 0)
"""


def upgrade():
    with op.batch_alter_table('inventory_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alert_email', sa.String(length=254), nullable=True))
    with op.batch_alter_table('low_stock_crossings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_alert', sa.String(length=20), server_default='none', nullable=False))
    with op.batch_alter_table('stock_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('units_sold_30', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('sold_since', sa.Date(), nullable=True))
    op.create_table('stock_aging_deltas',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('sold_day', sa.Date(), nullable=False),
        sa.Column('items', sa.BigInteger(), nullable=False),
        sa.Column('units', sa.BigInteger(), nullable=False),
        sa.Column('value_poisha', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_stock_aging_deltas_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_aging_deltas')))
    op.create_index('ix_stock_aging_deltas_site_id_sold_day', 'stock_aging_deltas', ['site_id', 'sold_day'])
    op.create_table('item_sales_days',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('wc_id', sa.BigInteger(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('quantity', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_item_sales_days_site_id_sites')),
        sa.PrimaryKeyConstraint('site_id', 'wc_id', 'day', name=op.f('pk_item_sales_days')))
    op.create_index('ix_item_sales_days_site_id_day', 'item_sales_days', ['site_id', 'day', 'wc_id', 'quantity'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(TRIGGERS)
        op.execute(f"INSERT INTO stock_aging_deltas (site_id, sold_day, items, units, value_poisha) "
                   f"SELECT site_id, sold_day, count(*), sum(units), sum(value) FROM "
                   f"(SELECT {CONTRIBUTION.format(t='s', sign='')} FROM stock_items s WHERE {ON_HAND.format(t='s')}) on_hand "
                   f"GROUP BY site_id, sold_day")
        # the low-stock list (`IS TRUE` as the queries say it, or the planner cannot use them): the
        # items running out, read from the index alone (those that sold in the last 30 days), and
        # the items at or below their threshold, fewest first (the index walked in order, 200 taken)
        op.execute("CREATE INDEX ix_stock_items_selling ON stock_items (site_id) INCLUDE (stock_quantity, units_sold_30, id) "
                   "WHERE units_sold_30 > 0 AND deleted_at IS NULL AND manage_stock IS TRUE")
        op.execute("CREATE INDEX ix_stock_items_managed_stock ON stock_items (site_id, stock_quantity, id) "
                   "WHERE deleted_at IS NULL AND manage_stock IS TRUE")
        day = "(o.date_created_gmt + interval '6 hours')::date"
        start = "(now() AT TIME ZONE 'UTC' + interval '6 hours')::date - 29"
    else:
        day = "date(o.date_created_gmt, '+6 hours')"
        start = "date('now', '+6 hours', '-29 days')"
    op.execute(SALES_FILL.format(day=day, sold=SOLD))
    op.execute(UNITS_SOLD_FILL.format(start=start))


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for event in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER IF EXISTS stock_items_aging_{event} ON stock_items")
            op.execute(f"DROP FUNCTION IF EXISTS bikri_stock_aging_{event}()")
    op.drop_index('ix_item_sales_days_site_id_day', table_name='item_sales_days')
    op.drop_table('item_sales_days')
    op.drop_index('ix_stock_aging_deltas_site_id_sold_day', table_name='stock_aging_deltas')
    op.drop_table('stock_aging_deltas')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_stock_items_selling")
        op.execute("DROP INDEX IF EXISTS ix_stock_items_managed_stock")
    with op.batch_alter_table('stock_items', schema=None) as batch_op:
        batch_op.drop_column('sold_since')
        batch_op.drop_column('units_sold_30')
    with op.batch_alter_table('low_stock_crossings', schema=None) as batch_op:
        batch_op.drop_column('email_alert')
    with op.batch_alter_table('inventory_settings', schema=None) as batch_op:
        batch_op.drop_column('alert_email')
