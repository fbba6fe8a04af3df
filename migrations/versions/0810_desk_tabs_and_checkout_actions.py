"""order desk: status tab counts on an index, and what staff did with each abandoned checkout

Revision ID: 0810
Revises: 0740
"""
from alembic import op
import sqlalchemy as sa

revision = '0810'
down_revision = '0740'
branch_labels = None
depends_on = None


def upgrade():
    # The desk's status tabs: one grouped count per page view, read from this narrow partial
    # index alone (an index-only scan; B-tree deduplication keeps ten keys for a million rows small).
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_site_id_status_live', ['site_id', 'status'], unique=False,
                              postgresql_where=sa.text('deleted_at IS NULL'), sqlite_where=sa.text('deleted_at IS NULL'))
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
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_site_id_status_live')
