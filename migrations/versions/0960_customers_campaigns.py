"""customers (U1): the customer read model, tags, saved segments; SMS campaigns, recipients, opt-outs

Revision ID: 0960
Revises: 0950
"""
from alembic import op
import sqlalchemy as sa

revision = '0960'
down_revision = '0950'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'customer_stats',
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=True),
        sa.Column('wc_customer_id', sa.BigInteger(), nullable=True),
        sa.Column('orders', sa.Integer(), nullable=False),
        sa.Column('delivered', sa.Integer(), nullable=False),
        sa.Column('returned', sa.Integer(), nullable=False),
        sa.Column('cancelled', sa.Integer(), nullable=False),
        sa.Column('spend', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('first_order_gmt', sa.DateTime(), nullable=True),
        sa.Column('last_order_gmt', sa.DateTime(), nullable=True),
        sa.Column('district', sa.String(length=100), nullable=True),
        sa.Column('segment', sa.String(length=20), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_stats_customer_id_customers'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_customer_stats_site_id_sites')),
        sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_customer_stats')),
    )
    op.create_index('ix_customer_stats_site_last', 'customer_stats', ['site_id', 'last_order_gmt', 'customer_id'])
    op.create_index('ix_customer_stats_site_segment_last', 'customer_stats', ['site_id', 'segment', 'last_order_gmt', 'customer_id'])
    op.create_index('ix_customer_stats_site_district_last', 'customer_stats', ['site_id', 'district', 'last_order_gmt', 'customer_id'])
    op.create_index('ix_customer_stats_site_spend', 'customer_stats', ['site_id', 'spend'])
    op.create_index('ix_customer_stats_site_orders', 'customer_stats', ['site_id', 'orders'])
    op.create_index('ix_customer_stats_site_phone', 'customer_stats', ['site_id', 'phone'], unique=True)

    op.create_table(
        'customer_tags',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('tag', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_tags_customer_id_customers'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_customer_tags_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_tags')),
        sa.UniqueConstraint('customer_id', 'tag', name='uq_customer_tags_customer_tag'),
    )
    op.create_index('ix_customer_tags_site_tag', 'customer_tags', ['site_id', 'tag', 'customer_id'])

    op.create_table(
        'customer_segments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('filters', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_customer_segments_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_segments')),
        sa.UniqueConstraint('site_id', 'name', name='uq_customer_segments_site_name'),
    )

    op.create_table(
        'sms_opt_outs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_sms_opt_outs_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_opt_outs')),
        sa.UniqueConstraint('site_id', 'phone', name='uq_sms_opt_outs_site_phone'),
    )

    op.create_table(
        'campaigns',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('opt_out_line', sa.Boolean(), nullable=False),
        sa.Column('audience', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('scheduled_at', sa.DateTime(), nullable=True),
        sa.Column('recipients', sa.Integer(), nullable=False),
        sa.Column('segments', sa.Integer(), nullable=False),
        sa.Column('unit_cost', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('unit_gateway_cost', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('encoding', sa.String(length=10), nullable=False),
        sa.Column('total_cost', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=True),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.Column('created_by', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['job_id'], ['work_jobs.id'], name=op.f('fk_campaigns_job_id_work_jobs')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_campaigns_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    )
    op.create_index('ix_campaigns_site_id_created', 'campaigns', ['site_id', 'created_at'])
    op.create_index('ix_campaigns_status_scheduled', 'campaigns', ['status', 'scheduled_at'])

    op.create_table(
        'campaign_recipients',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_recipients_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['message_id'], ['sms_messages.id'], name=op.f('fk_campaign_recipients_message_id_sms_messages')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_campaign_recipients_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_recipients')),
        sa.UniqueConstraint('campaign_id', 'phone', name='uq_campaign_recipients_campaign_phone'),
    )
    op.create_index('ix_campaign_recipients_campaign_status', 'campaign_recipients', ['campaign_id', 'status'])


def downgrade():
    op.drop_table('campaign_recipients')
    op.drop_table('campaigns')
    op.drop_table('sms_opt_outs')
    op.drop_table('customer_segments')
    op.drop_table('customer_tags')
    op.drop_table('customer_stats')
