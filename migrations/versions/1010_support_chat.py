"""support chat (H2): a shop's conversation with Bikri's operators, its messages and images,
the operators' desk (offline alert settings, presence) and the alert SMS

Revision ID: 1010
Revises: 0990
"""
from datetime import datetime

from alembic import op
import sqlalchemy as sa

revision = '1010'
down_revision = '0990'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'support_conversations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('last_message_id', sa.Integer(), nullable=False),
        sa.Column('last_message_at', sa.DateTime(), nullable=False),
        sa.Column('shop_read_id', sa.Integer(), nullable=False),
        sa.Column('operator_read_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_support_conversations_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_support_conversations')),
        sa.UniqueConstraint('site_id', name=op.f('uq_support_conversations_site_id')),
    )
    op.create_table(
        'support_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('side', sa.String(length=10), nullable=False),
        sa.Column('author_name', sa.String(length=120), nullable=False),
        sa.Column('wp_user_id', sa.Integer(), nullable=True),
        sa.Column('operator_id', sa.Integer(), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['conversation_id'], ['support_conversations.id'],
                                name=op.f('fk_support_messages_conversation_id_support_conversations')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_support_messages_site_id_sites')),
        sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_support_messages_operator_id_operators')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_support_messages')),
    )
    op.create_index('ix_support_messages_conversation_id_id', 'support_messages', ['conversation_id', 'id'])
    op.create_table(
        'support_attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=20), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['message_id'], ['support_messages.id'],
                                name=op.f('fk_support_attachments_message_id_support_messages')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_support_attachments_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_support_attachments')),
    )
    op.create_index('ix_support_attachments_message_id', 'support_attachments', ['message_id'])
    op.create_table(
        'support_desk',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('alert_phone', sa.String(length=16), nullable=True),
        sa.Column('quiet_minutes', sa.Integer(), nullable=False),
        sa.Column('operator_seen_at', sa.DateTime(), nullable=True),
        sa.Column('alerted_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by', sa.String(length=254), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_support_desk')),
    )
    # the one row the operators' side reads and claims alerts on (backend/support/service.py desk())
    desk = sa.table('support_desk', sa.column('id', sa.Integer), sa.column('quiet_minutes', sa.Integer),
                    sa.column('updated_at', sa.DateTime))
    op.bulk_insert(desk, [{'id': 1, 'quiet_minutes': 5, 'updated_at': datetime.utcnow()}])
    op.create_table(
        'support_operator_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=16), nullable=False),
        sa.Column('content', sa.String(length=160), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('gateway', sa.String(length=40), nullable=True),
        sa.Column('gateway_reference', sa.String(length=80), nullable=True),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('claimed_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_support_operator_alerts_site_id_sites')),
        sa.ForeignKeyConstraint(['message_id'], ['support_messages.id'],
                                name=op.f('fk_support_operator_alerts_message_id_support_messages')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_support_operator_alerts')),
    )


def downgrade():
    op.drop_table('support_operator_alerts')
    op.drop_table('support_desk')
    op.drop_index('ix_support_attachments_message_id', table_name='support_attachments')
    op.drop_table('support_attachments')
    op.drop_index('ix_support_messages_conversation_id_id', table_name='support_messages')
    op.drop_table('support_messages')
    op.drop_table('support_conversations')
