"""dashboard costs (D12), and a covering index for the cash widget

Revision ID: 0720
Revises: 0710
"""
from alembic import op
import sqlalchemy as sa

revision = '0720'
down_revision = '0710'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dash_costs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_dash_costs_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dash_costs')))
    with op.batch_alter_table('dash_costs', schema=None) as batch_op:
        batch_op.create_index('ix_dash_costs_site_id_day', ['site_id', 'day'], unique=False)
    with op.batch_alter_table('consignments', schema=None) as batch_op:
        batch_op.create_index('ix_consignments_dash_cash', ['site_id', 'booked_at', 'status', 'cod_amount',
                                                            'collected_amount'], unique=False)


def downgrade():
    with op.batch_alter_table('consignments', schema=None) as batch_op:
        batch_op.drop_index('ix_consignments_dash_cash')
    with op.batch_alter_table('dash_costs', schema=None) as batch_op:
        batch_op.drop_index('ix_dash_costs_site_id_day')
    op.drop_table('dash_costs')
