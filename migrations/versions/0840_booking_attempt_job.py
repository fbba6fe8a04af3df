"""booking attempts remember the job that claimed them (a redelivered booking task takes its own claims back)

Revision ID: 0840
Revises: 0830
"""
from alembic import op
import sqlalchemy as sa

revision = '0840'
down_revision = '0830'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('booking_attempts') as batch:
        batch.add_column(sa.Column('job_id', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('booking_attempts') as batch:
        batch.drop_column('job_id')
