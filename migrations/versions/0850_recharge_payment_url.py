"""sms: a bKash recharge's payment address, kept while the payer may use it (the payment is
opened by a worker now, and the page asks for the address once it is there)

Revision ID: 0850
Revises: 0840
"""
from alembic import op
import sqlalchemy as sa

revision = '0850'
down_revision = '0840'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('recharges') as batch_op:
        batch_op.add_column(sa.Column('payment_url', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('recharges') as batch_op:
        batch_op.drop_column('payment_url')
