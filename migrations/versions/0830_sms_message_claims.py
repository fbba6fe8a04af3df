"""SMS messages are delivered by workers: when a worker last claimed one

A message is now "queued" until a worker claims it ("sending", claimed_at set) and records
the gateway's outcome ("sent" or "failed"). The sweeper finds a claim left by a killed worker
by its age.

Revision ID: 0830
Revises: 0820
"""
from alembic import op
import sqlalchemy as sa

revision = '0830'
down_revision = '0820'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sms_messages') as batch:
        batch.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('sms_messages') as batch:
        batch.drop_column('claimed_at')
