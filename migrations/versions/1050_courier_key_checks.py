"""courier keys checked by a worker, not in the web request

Revision ID: 1050
Revises: 0900
"""
from alembic import op
import sqlalchemy as sa

revision = '1050'
down_revision = '0900'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'courier_key_checks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('courier', sa.String(length=30), nullable=False),
        sa.Column('credentials_enc', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_courier_key_checks_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_courier_key_checks')),
    )
    op.create_index(op.f('ix_courier_key_checks_site_id'), 'courier_key_checks', ['site_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_courier_key_checks_site_id'), table_name='courier_key_checks')
    op.drop_table('courier_key_checks')
