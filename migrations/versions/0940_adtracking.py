"""ad tracking (K2): Pixel / Conversions API settings, the events sent, ad spend per campaign (D11)

Revision ID: 0940
Revises: 0930
"""
from alembic import op
import sqlalchemy as sa


revision = '0940'
down_revision = '0930'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ad_settings',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('pixel_id', sa.String(length=20), nullable=False),
        sa.Column('capi_token_enc', sa.Text(), nullable=True),
        sa.Column('capi_enabled', sa.Boolean(), nullable=False),
        sa.Column('delivered_event', sa.String(length=10), nullable=False),
        sa.Column('delivered_event_name', sa.String(length=40), nullable=False),
        sa.Column('refund_on_return', sa.Boolean(), nullable=False),
        sa.Column('test_event_code', sa.String(length=40), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_ad_settings_site_id_sites')),
        sa.PrimaryKeyConstraint('site_id', name=op.f('pk_ad_settings')))
    op.create_table('ad_capi_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('order_wc_id', sa.BigInteger(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('event_name', sa.String(length=40), nullable=False),
        sa.Column('event_id', sa.String(length=80), nullable=False),
        sa.Column('event_time', sa.BigInteger(), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('fbtrace_id', sa.String(length=80), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_ad_capi_events_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ad_capi_events')),
        sa.UniqueConstraint('site_id', 'order_wc_id', 'kind', name='uq_ad_capi_events_order_kind'))
    op.create_index('ix_ad_capi_events_status', 'ad_capi_events', ['status', 'created_at'], unique=False)
    op.create_table('dash_ad_spend',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('network', sa.String(length=20), nullable=False),
        sa.Column('campaign', sa.String(length=200), nullable=False),
        sa.Column('start_day', sa.Date(), nullable=False),
        sa.Column('end_day', sa.Date(), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_dash_ad_spend_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dash_ad_spend')))
    op.create_index('ix_dash_ad_spend_site_id_end_day', 'dash_ad_spend', ['site_id', 'end_day'], unique=False)


def downgrade():
    op.drop_index('ix_dash_ad_spend_site_id_end_day', table_name='dash_ad_spend')
    op.drop_table('dash_ad_spend')
    op.drop_index('ix_ad_capi_events_status', table_name='ad_capi_events')
    op.drop_table('ad_capi_events')
    op.drop_table('ad_settings')
