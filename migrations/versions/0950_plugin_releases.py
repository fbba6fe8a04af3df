"""plugin releases (P8): uploaded, signed zips and their rollout

Revision ID: 0950
Revises: 0880
"""
from alembic import op
import sqlalchemy as sa

revision = '0950'
down_revision = '0880'
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


def downgrade():
    op.drop_table('plugin_releases')
