"""sms: the per-minute send allowance kept on the wallet row

Revision ID: 0602
Revises: 0601
Create Date: 2026-11-26 02:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0602'
down_revision = '0601'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wallets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('window_start', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('window_sends', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('wallets', schema=None) as batch_op:
        batch_op.drop_column('window_sends')
        batch_op.drop_column('window_start')
