"""booking: the per-invoice booking lock, and the courier an order was booked with

Revision ID: 0600
Revises: 0200
"""
from alembic import op
import sqlalchemy as sa

revision = '0600'
down_revision = '0200'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('booking_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('invoice', sa.String(length=64), nullable=False),
        sa.Column('order_wc_id', sa.BigInteger(), nullable=False),
        sa.Column('courier', sa.String(length=30), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('consignment_id', sa.String(length=40), nullable=True),
        sa.Column('tracking_code', sa.String(length=40), nullable=True),
        sa.Column('wc_written', sa.Boolean(), nullable=False),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.Column('claimed_at', sa.DateTime(), nullable=False),
        sa.Column('booked_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_booking_attempts_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_attempts')),
        sa.UniqueConstraint('site_id', 'invoice', name='uq_booking_attempts_site_invoice'))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('courier', sa.String(length=30), nullable=True))


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('courier')
    op.drop_table('booking_attempts')
