"""the work model: jobs with progress and a result per item, and dead letters

Revision ID: 0820
Revises: 0810
"""
from alembic import op
import sqlalchemy as sa

revision = '0820'
down_revision = '0810'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'work_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('task', sa.String(length=80), nullable=False),
        sa.Column('per_task', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('params', sa.Text(), nullable=False),
        sa.Column('started_by', sa.String(length=200), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_work_jobs_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_work_jobs')),
    )
    op.create_index('ix_work_jobs_site_id_id', 'work_jobs', ['site_id', 'id'], unique=False)
    op.create_table(
        'work_job_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('item', sa.String(length=64), nullable=False),
        sa.Column('outcome', sa.String(length=30), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['work_jobs.id'], name=op.f('fk_work_job_items_job_id_work_jobs'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_work_job_items')),
        sa.UniqueConstraint('job_id', 'item', name='uq_work_job_items_job_id_item'),
    )
    op.create_table(
        'dead_tasks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=True),
        sa.Column('task', sa.String(length=80), nullable=False),
        sa.Column('lane', sa.String(length=20), nullable=False),
        sa.Column('arguments', sa.Text(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('retried_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_dead_tasks_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dead_tasks')),
    )
    op.create_index('ix_dead_tasks_created_at', 'dead_tasks', ['created_at'], unique=False)
    op.create_index(op.f('ix_dead_tasks_site_id'), 'dead_tasks', ['site_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_dead_tasks_site_id'), table_name='dead_tasks')
    op.drop_index('ix_dead_tasks_created_at', table_name='dead_tasks')
    op.drop_table('dead_tasks')
    op.drop_table('work_job_items')
    op.drop_index('ix_work_jobs_site_id_id', table_name='work_jobs')
    op.drop_table('work_jobs')
