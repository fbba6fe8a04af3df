"""plugin releases (P8): uploaded, signed zips and their rollout; feature requests and votes (H1)

Revision ID: 0950
Revises: 0920
"""
from alembic import op
import sqlalchemy as sa

revision = '0950'
down_revision = '0920'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'plugin_releases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.String(length=40), nullable=False),
        sa.Column('changelog', sa.Text(), nullable=False),
        sa.Column('package', sa.LargeBinary(), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('signature', sa.String(length=100), nullable=False),
        sa.Column('signing_key', sa.String(length=60), nullable=False),
        sa.Column('requires_wp', sa.String(length=20), nullable=True),
        sa.Column('requires_php', sa.String(length=20), nullable=True),
        sa.Column('rollout_percent', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('uploaded_by', sa.String(length=254), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plugin_releases')),
        sa.UniqueConstraint('version', name=op.f('uq_plugin_releases_version')),
    )

    op.create_table(
        'feature_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('asked_by', sa.String(length=120), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reply', sa.Text(), nullable=True),
        sa.Column('replied_at', sa.DateTime(), nullable=True),
        sa.Column('votes', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_feature_requests_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feature_requests')),
    )
    op.create_index('ix_feature_requests_site_id', 'feature_requests', ['site_id'])
    op.create_index('ix_feature_requests_status', 'feature_requests', ['status'])
    op.create_table(
        'feature_votes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['feature_requests.id'], name=op.f('fk_feature_votes_request_id_feature_requests')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_feature_votes_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feature_votes')),
        sa.UniqueConstraint('request_id', 'site_id', name='uq_feature_votes_request_site'),
    )


def downgrade():
    op.drop_table('feature_votes')
    op.drop_index('ix_feature_requests_status', table_name='feature_requests')
    op.drop_index('ix_feature_requests_site_id', table_name='feature_requests')
    op.drop_table('feature_requests')
    op.drop_table('plugin_releases')
