"""loyalty points (U2): settings, accounts, the points ledger, checkout holds

Revision ID: 0970
Revises: 1010
"""
from alembic import op
import sqlalchemy as sa

revision = '0970'
down_revision = '1010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('loyalty_accounts',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('balance', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_loyalty_accounts_site_id_sites')),
    sa.PrimaryKeyConstraint('site_id', 'phone', name=op.f('pk_loyalty_accounts'))
    )
    op.create_table('loyalty_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('order_wc_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=100), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_loyalty_holds_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_holds')),
    sa.UniqueConstraint('site_id', 'idempotency_key', name='uq_loyalty_holds_site_idempotency_key'),
    sa.UniqueConstraint('token', name=op.f('uq_loyalty_holds_token'))
    )
    with op.batch_alter_table('loyalty_holds', schema=None) as batch_op:
        batch_op.create_index('ix_loyalty_holds_site_order', ['site_id', 'order_wc_id'], unique=False)
        batch_op.create_index('ix_loyalty_holds_status_expires_at', ['status', 'expires_at'], unique=False)

    op.create_table('loyalty_settings',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('points_per_100', sa.Integer(), nullable=False),
    sa.Column('point_value', sa.BigInteger(), nullable=False),
    sa.Column('min_redeem', sa.Integer(), nullable=False),
    sa.Column('expiry_days', sa.Integer(), nullable=False),
    sa.Column('earn_sms', sa.Boolean(), nullable=False),
    sa.Column('earn_sms_text', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_loyalty_settings_site_id_sites')),
    sa.PrimaryKeyConstraint('site_id', name=op.f('pk_loyalty_settings'))
    )
    op.create_table('loyalty_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('order_wc_id', sa.Integer(), nullable=True),
    sa.Column('hold_id', sa.Integer(), nullable=True),
    sa.Column('order_amount', sa.BigInteger(), nullable=True),
    sa.Column('uncollected', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('sms_due', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['hold_id'], ['loyalty_holds.id'], name=op.f('fk_loyalty_entries_hold_id_loyalty_holds')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_loyalty_entries_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loyalty_entries')),
    sa.UniqueConstraint('site_id', 'phone', 'key', name='uq_loyalty_entries_account_key')
    )
    with op.batch_alter_table('loyalty_entries', schema=None) as batch_op:
        batch_op.create_index('ix_loyalty_entries_lots_expiry', ['expires_at'], unique=False)
        batch_op.create_index('ix_loyalty_entries_site_order', ['site_id', 'order_wc_id'], unique=False)
        batch_op.create_index('ix_loyalty_entries_sms_due', ['sms_due'], unique=False)



def downgrade():
    with op.batch_alter_table('loyalty_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_loyalty_entries_sms_due')
        batch_op.drop_index('ix_loyalty_entries_site_order')
        batch_op.drop_index('ix_loyalty_entries_lots_expiry')

    op.drop_table('loyalty_entries')
    op.drop_table('loyalty_settings')
    with op.batch_alter_table('loyalty_holds', schema=None) as batch_op:
        batch_op.drop_index('ix_loyalty_holds_status_expires_at')
        batch_op.drop_index('ix_loyalty_holds_site_order')

    op.drop_table('loyalty_holds')
    op.drop_table('loyalty_accounts')
