"""order tasks (T3): staff the shop has seen, order assignments with due times, phone confirmations,
and the setting that books only confirmed orders

Revision ID: 0920
Revises: 0910
"""
from alembic import op
import sqlalchemy as sa

revision = '0920'
down_revision = '0910'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'staff_members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('wp_user_id', sa.Integer(), nullable=False),
        sa.Column('display_name', sa.String(length=100), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('first_seen_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_staff_members_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_members')),
    )
    op.create_index('ix_staff_members_site_id_wp_user_id', 'staff_members', ['site_id', 'wp_user_id'], unique=True)
    op.create_table(
        'order_assignments',
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('assignee_wp_user_id', sa.Integer(), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=True),
        sa.Column('assigned_by', sa.String(length=120), nullable=False),
        sa.Column('assigned_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_assignments_order_id_orders'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_order_assignments_site_id_sites')),
        sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_assignments')),
    )
    op.create_index('ix_order_assignments_site_id_assignee', 'order_assignments',
                    ['site_id', 'assignee_wp_user_id'], unique=False)
    op.create_table(
        'phone_confirmations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.Column('by_wp_user_id', sa.Integer(), nullable=True),
        sa.Column('by_name', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_phone_confirmations_order_id_orders'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_phone_confirmations_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_confirmations')),
    )
    op.create_index('ix_phone_confirmations_site_id_order_id_id', 'phone_confirmations',
                    ['site_id', 'order_id', 'id'], unique=False)
    op.create_index('ix_phone_confirmations_site_id_created_at', 'phone_confirmations',
                    ['site_id', 'created_at'], unique=False)
    op.create_table(
        'order_task_settings',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('require_phone_confirmation', sa.Boolean(), nullable=False),
        sa.Column('updated_by', sa.String(length=120), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_order_task_settings_site_id_sites')),
        sa.PrimaryKeyConstraint('site_id', name=op.f('pk_order_task_settings')),
    )


def downgrade():
    op.drop_table('order_task_settings')
    op.drop_index('ix_phone_confirmations_site_id_created_at', table_name='phone_confirmations')
    op.drop_index('ix_phone_confirmations_site_id_order_id_id', table_name='phone_confirmations')
    op.drop_table('phone_confirmations')
    op.drop_index('ix_order_assignments_site_id_assignee', table_name='order_assignments')
    op.drop_table('order_assignments')
    op.drop_index('ix_staff_members_site_id_wp_user_id', table_name='staff_members')
    op.drop_table('staff_members')
