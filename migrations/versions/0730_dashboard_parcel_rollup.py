"""dashboard: a daily parcel rollup for the cash widget (D12), filled from the consignments;
the covering index the widget read consignments through goes

Revision ID: 0730
Revises: 0720
"""
from alembic import op
import sqlalchemy as sa

revision = '0730'
down_revision = '0720'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dash_day_parcels',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('courier', sa.String(length=30), nullable=False),
        sa.Column('status', sa.String(length=40), nullable=False),
        sa.Column('parcels', sa.Integer(), nullable=False),
        sa.Column('cod', sa.BigInteger(), nullable=False),
        sa.Column('collected', sa.BigInteger(), nullable=False),
        sa.Column('collected_known', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_dash_day_parcels_site_id_sites')),
        sa.PrimaryKeyConstraint('site_id', 'day', 'courier', 'status', name=op.f('pk_dash_day_parcels')))
    # the parcels already booked, as rollups.parcel_contribution counts them (money columns hold
    # whole ten-thousandths on both databases, so the sums are exact integers)
    day = ("date(booked_at, '+6 hours')" if op.get_bind().dialect.name == 'sqlite'
           else "CAST(booked_at + interval '6 hours' AS date)")
    op.execute(f"""INSERT INTO dash_day_parcels (site_id, day, courier, status, parcels, cod, collected, collected_known)
                   SELECT site_id, {day}, courier, status, count(*), coalesce(sum(cod_amount), 0),
                          coalesce(sum(collected_amount), 0), count(collected_amount)
                   FROM consignments GROUP BY site_id, {day}, courier, status""")
    with op.batch_alter_table('consignments', schema=None) as batch_op:
        batch_op.drop_index('ix_consignments_dash_cash')


def downgrade():
    with op.batch_alter_table('consignments', schema=None) as batch_op:
        batch_op.create_index('ix_consignments_dash_cash', ['site_id', 'booked_at', 'status', 'cod_amount',
                                                            'collected_amount'], unique=False)
    op.drop_table('dash_day_parcels')
