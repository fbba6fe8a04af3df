"""fraud check (F1): the history of checks, the customer's latest risk, and orders by phone across shops

Revision ID: 0700
Revises: 0602
Create Date: 2026-11-26 02:36:43.042315

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0700'
down_revision = '0602'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('fraud_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('checked_by', sa.String(length=200), nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=False),
    sa.Column('forced', sa.Boolean(), nullable=False),
    sa.Column('sources', sa.Text(), nullable=False),
    sa.Column('delivered', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Integer(), nullable=False),
    sa.Column('success_percent', sa.Integer(), nullable=True),
    sa.Column('risk', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_fraud_checks_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fraud_checks'))
    )
    with op.batch_alter_table('fraud_checks', schema=None) as batch_op:
        batch_op.create_index('ix_fraud_checks_site_id_checked_at', ['site_id', 'checked_at'], unique=False)
        batch_op.create_index('ix_fraud_checks_site_id_phone_checked_at', ['site_id', 'phone', 'checked_at'], unique=False)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fraud_risk', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('fraud_success_percent', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('fraud_checked_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_phone', ['phone'], unique=False)



def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_phone')

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('fraud_checked_at')
        batch_op.drop_column('fraud_success_percent')
        batch_op.drop_column('fraud_risk')

    with op.batch_alter_table('fraud_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_fraud_checks_site_id_phone_checked_at')
        batch_op.drop_index('ix_fraud_checks_site_id_checked_at')

    op.drop_table('fraud_checks')
