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


def downgrade():
    op.drop_table('role_matrices')
