"""bulk SMS: the job that sends a message of a batch

Revision ID: 0880
Revises: 0850
"""
from alembic import op
import sqlalchemy as sa

revision = '0880'
down_revision = '0850'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sms_messages') as batch_op:
        batch_op.add_column(sa.Column('job_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_sms_messages_job_id_work_jobs'), 'work_jobs', ['job_id'], ['id'])


def downgrade():
    with op.batch_alter_table('sms_messages') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sms_messages_job_id_work_jobs'), type_='foreignkey')
        batch_op.drop_column('job_id')
