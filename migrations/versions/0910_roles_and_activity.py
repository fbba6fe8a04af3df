"""T1 role matrix per shop; T2 activity log (shops) and operator log (console)

Revision ID: 0910
Revises: 0880
"""
from alembic import op
import sqlalchemy as sa

revision = '0910'
down_revision = '0880'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'role_matrices',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('grants', sa.Text(), nullable=False),
        sa.Column('wordpress', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by', sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_role_matrices_site_id_sites')),
        sa.PrimaryKeyConstraint('site_id', name=op.f('pk_role_matrices')),
    )

    big_id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
    op.create_table(
        'activity',
        sa.Column('id', big_id, nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor_kind', sa.String(length=8), nullable=False),
        sa.Column('actor', sa.String(length=120), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('order_wc_id', sa.BigInteger(), nullable=True),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('before', sa.Text(), nullable=True),
        sa.Column('after', sa.Text(), nullable=True),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('ip', sa.String(length=45), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_activity')),
    )
    op.create_index('ix_activity_site_at', 'activity', ['site_id', 'at', 'id'])
    op.create_index('ix_activity_site_kind_at', 'activity', ['site_id', 'kind', 'at'])
    op.create_index('ix_activity_site_actor_at', 'activity', ['site_id', 'actor', 'at'])
    op.create_index('ix_activity_site_order', 'activity', ['site_id', 'order_wc_id'])
    op.create_table(
        'activity_settings',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('retention_days', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_activity_settings_site_id_sites')),
        sa.PrimaryKeyConstraint('site_id', name=op.f('pk_activity_settings')),
    )
    op.create_table(
        'operator_actions',
        sa.Column('id', big_id, nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('operator', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('before', sa.Text(), nullable=True),
        sa.Column('after', sa.Text(), nullable=True),
        sa.Column('ip', sa.String(length=45), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_actions')),
    )
    op.create_index(op.f('ix_operator_actions_at'), 'operator_actions', ['at'])


def downgrade():
    op.drop_index(op.f('ix_operator_actions_at'), table_name='operator_actions')
    op.drop_table('operator_actions')
    op.drop_table('activity_settings')
    op.drop_index('ix_activity_site_order', table_name='activity')
    op.drop_index('ix_activity_site_actor_at', table_name='activity')
    op.drop_index('ix_activity_site_kind_at', table_name='activity')
    op.drop_index('ix_activity_site_at', table_name='activity')
    op.drop_table('activity')
    op.drop_table('role_matrices')
