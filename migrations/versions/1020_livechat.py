"""live chat with shoppers (issue 24 item 6, H2): settings, conversations, messages

Revision ID: 1020
Revises: 1000
"""
from alembic import op
import sqlalchemy as sa

revision = '1020'
down_revision = '1000'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'livechat_settings',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('shop_key', sa.String(length=32), nullable=False),
        sa.Column('greeting', sa.String(length=300), nullable=False),
        sa.Column('staff_seen_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_livechat_settings_site_id_sites')),
        sa.PrimaryKeyConstraint('site_id', name=op.f('pk_livechat_settings')),
        sa.UniqueConstraint('shop_key', name=op.f('uq_livechat_settings_shop_key')),
    )
    op.create_table(
        'livechat_conversations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('visitor_name', sa.String(length=80), nullable=False),
        sa.Column('phone', sa.String(length=16), nullable=True),
        sa.Column('page_url', sa.String(length=500), nullable=False),
        sa.Column('ip_key', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_message_id', sa.Integer(), nullable=False),
        sa.Column('last_message_at', sa.DateTime(), nullable=False),
        sa.Column('staff_unread', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_livechat_conversations_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_livechat_conversations')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_livechat_conversations_token_hash')),
    )
    op.create_index('ix_livechat_conversations_site_id_last_message_id', 'livechat_conversations',
                    ['site_id', 'last_message_id'])
    op.create_index('ix_livechat_conversations_site_id_ip_key', 'livechat_conversations',
                    ['site_id', 'ip_key', 'created_at'])
    op.create_table(
        'livechat_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('sender', sa.String(length=8), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('staff_name', sa.String(length=120), nullable=True),
        sa.Column('offline', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_livechat_messages_site_id_sites')),
        sa.ForeignKeyConstraint(['conversation_id'], ['livechat_conversations.id'],
                                name=op.f('fk_livechat_messages_conversation_id_livechat_conversations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_livechat_messages')),
    )
    op.create_index('ix_livechat_messages_conversation_id_id', 'livechat_messages', ['conversation_id', 'id'])
    op.create_index('ix_livechat_messages_site_id_id', 'livechat_messages', ['site_id', 'id'])


def downgrade():
    op.drop_index('ix_livechat_messages_site_id_id', table_name='livechat_messages')
    op.drop_index('ix_livechat_messages_conversation_id_id', table_name='livechat_messages')
    op.drop_table('livechat_messages')
    op.drop_index('ix_livechat_conversations_site_id_ip_key', table_name='livechat_conversations')
    op.drop_index('ix_livechat_conversations_site_id_last_message_id', table_name='livechat_conversations')
    op.drop_table('livechat_conversations')
    op.drop_table('livechat_settings')
