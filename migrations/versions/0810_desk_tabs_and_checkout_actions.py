"""order desk: status tab counts kept by triggers, and what staff did with each abandoned checkout

Revision ID: 0810
Revises: 0790
"""
from alembic import op
import sqlalchemy as sa

revision = '0810'
down_revision = '0790'
branch_labels = None
depends_on = None


# PostgreSQL keeps the desk's status tab counts with statement triggers on orders: each
# statement appends, per shop and status, how many live (not deleted) orders it added or took
# away. Appending (never updating a shared counter row) means concurrent writers never wait on
# or deadlock over a counter; the counts are sum(delta), and a job folds the rows together.
# Counting a million orders directly took 160-250 ms (bench/order_list.py); this takes < 1 ms.
TRIGGERS = """
CREATE FUNCTION bikri_order_status_deltas_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO order_status_deltas (site_id, status, delta)
  SELECT site_id, status, count(*) FROM new_rows WHERE deleted_at IS NULL GROUP BY site_id, status;
  RETURN NULL;
END $$;
CREATE FUNCTION bikri_order_status_deltas_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO order_status_deltas (site_id, status, delta)
  SELECT site_id, status, -count(*) FROM old_rows WHERE deleted_at IS NULL GROUP BY site_id, status;
  RETURN NULL;
END $$;
CREATE FUNCTION bikri_order_status_deltas_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- only rows whose shop, status or deletion changed count; a content update adds nothing
  INSERT INTO order_status_deltas (site_id, status, delta)
  SELECT site_id, status, sum(d) FROM (
    SELECT o.site_id, o.status, -1 AS d FROM old_rows o JOIN new_rows n ON n.id = o.id
     WHERE o.deleted_at IS NULL AND ((n.site_id, n.status) IS DISTINCT FROM (o.site_id, o.status) OR n.deleted_at IS NOT NULL)
    UNION ALL
    SELECT n.site_id, n.status, 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
     WHERE n.deleted_at IS NULL AND ((n.site_id, n.status) IS DISTINCT FROM (o.site_id, o.status) OR o.deleted_at IS NOT NULL)
  ) changed GROUP BY site_id, status HAVING sum(d) <> 0;
  RETURN NULL;
END $$;
CREATE TRIGGER orders_status_deltas_insert AFTER INSERT ON orders REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bikri_order_status_deltas_insert();
CREATE TRIGGER orders_status_deltas_delete AFTER DELETE ON orders REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bikri_order_status_deltas_delete();
CREATE TRIGGER orders_status_deltas_update AFTER UPDATE ON orders REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bikri_order_status_deltas_update();
"""


def upgrade():
    op.create_table('order_status_deltas',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=40), nullable=False),
        sa.Column('delta', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_order_status_deltas_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_order_status_deltas')))
    with op.batch_alter_table('order_status_deltas', schema=None) as batch_op:
        batch_op.create_index('ix_order_status_deltas_site_id_status', ['site_id', 'status'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(TRIGGERS)
        op.execute("INSERT INTO order_status_deltas (site_id, status, delta) SELECT site_id, status, count(*) "
                   "FROM orders WHERE deleted_at IS NULL GROUP BY site_id, status")
    with op.batch_alter_table('abandoned_checkouts', schema=None) as batch_op:
        batch_op.create_index('ix_abandoned_checkouts_site_id_status', ['site_id', 'status', 'created_at'], unique=False)
    op.create_table('abandoned_checkout_actions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('checkout_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('by', sa.String(length=120), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('detail', sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_abandoned_checkout_actions_site_id_sites')),
        sa.ForeignKeyConstraint(['checkout_id'], ['abandoned_checkouts.id'],
                                name=op.f('fk_abandoned_checkout_actions_checkout_id_abandoned_checkouts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_abandoned_checkout_actions')))
    with op.batch_alter_table('abandoned_checkout_actions', schema=None) as batch_op:
        batch_op.create_index('ix_abandoned_checkout_actions_site_id_checkout_id', ['site_id', 'checkout_id'], unique=False)


def downgrade():
    with op.batch_alter_table('abandoned_checkout_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_abandoned_checkout_actions_site_id_checkout_id')
    op.drop_table('abandoned_checkout_actions')
    with op.batch_alter_table('abandoned_checkouts', schema=None) as batch_op:
        batch_op.drop_index('ix_abandoned_checkouts_site_id_status')
    if op.get_bind().dialect.name == 'postgresql':
        for event in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER IF EXISTS orders_status_deltas_{event} ON orders")
            op.execute(f"DROP FUNCTION IF EXISTS bikri_order_status_deltas_{event}()")
    with op.batch_alter_table('order_status_deltas', schema=None) as batch_op:
        batch_op.drop_index('ix_order_status_deltas_site_id_status')
    op.drop_table('order_status_deltas')
