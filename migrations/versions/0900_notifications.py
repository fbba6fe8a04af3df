"""notifications (issue 21: N1 status messages, N2 delivery alerts)

Revision ID: 0900
Revises: 0940
"""
from alembic import op
import sqlalchemy as sa

revision = '0900'
down_revision = '0940'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notification_settings',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('quiet_enabled', sa.Boolean(), nullable=False),
        sa.Column('quiet_start', sa.String(length=5), nullable=False),
        sa.Column('quiet_end', sa.String(length=5), nullable=False),
        sa.Column('opt_out_link', sa.Boolean(), nullable=False),
        sa.Column('owner_phone', sa.String(length=16), nullable=True),
        sa.Column('owner_sms', sa.Boolean(), nullable=False),
        sa.Column('stuck_days', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_notification_settings_site_id_sites')),
        sa.PrimaryKeyConstraint('site_id', name=op.f('pk_notification_settings')),
    )
    op.create_table(
        'notification_rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=40), nullable=False),
        sa.Column('sms', sa.Boolean(), nullable=False),
        sa.Column('email', sa.Boolean(), nullable=False),
        sa.Column('text_bn', sa.Text(), nullable=True),
        sa.Column('text_en', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_notification_rules_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_rules')),
        sa.UniqueConstraint('site_id', 'status', name='uq_notification_rules_site_status'),
    )
    op.create_table(
        'notification_sends',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('order_wc_id', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=40), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=False),
        sa.Column('phone', sa.String(length=16), nullable=True),
        sa.Column('courier', sa.String(length=30), nullable=True),
        sa.Column('consignment', sa.String(length=40), nullable=True),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('job_id', sa.Integer(), nullable=True),
        sa.Column('detail', sa.String(length=300), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('done_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_notification_sends_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_sends')),
        sa.UniqueConstraint('site_id', 'order_wc_id', 'status', 'channel', name='uq_notification_sends_key'),
    )
    op.create_index('ix_notification_sends_state_due_at', 'notification_sends', ['state', 'due_at'])
    op.create_table(
        'notification_opt_outs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=16), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_notification_opt_outs_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_opt_outs')),
        sa.UniqueConstraint('site_id', 'phone', name='uq_notification_opt_outs_site_phone'),
    )
    op.create_table(
        'notification_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('consignment_pk', sa.BigInteger(), nullable=False),
        sa.Column('order_wc_id', sa.BigInteger(), nullable=True),
        sa.Column('courier', sa.String(length=30), nullable=True),
        sa.Column('consignment', sa.String(length=40), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('read_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_notification_alerts_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_alerts')),
        sa.UniqueConstraint('site_id', 'consignment_pk', 'kind', name='uq_notification_alerts_parcel_kind'),
    )
    op.create_index('ix_notification_alerts_site_id_read_at', 'notification_alerts', ['site_id', 'read_at'])


def downgrade():
    op.drop_index('ix_notification_alerts_site_id_read_at', table_name='notification_alerts')
    op.drop_table('notification_alerts')
    op.drop_table('notification_opt_outs')
    op.drop_index('ix_notification_sends_state_due_at', table_name='notification_sends')
    op.drop_table('notification_sends')
    op.drop_table('notification_rules')
    op.drop_table('notification_settings')
