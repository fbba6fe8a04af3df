"""Nagad recharges (issue 22 item 5, K3): the console's payment gateway settings, and when a
recharge's verification was last queued

Revision ID: 0990
Revises: 1040
"""
from alembic import op
import sqlalchemy as sa

revision = '0990'
down_revision = '1040'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'payment_gateway_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=20), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('settings_enc', sa.Text(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by', sa.String(length=254), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_gateway_settings')),
        sa.UniqueConstraint('key', name=op.f('uq_payment_gateway_settings_key')),
    )
    with op.batch_alter_table('recharges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verify_queued_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('recharges', schema=None) as batch_op:
        batch_op.drop_column('verify_queued_at')
    op.drop_table('payment_gateway_settings')
