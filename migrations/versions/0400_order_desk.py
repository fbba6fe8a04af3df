"""order desk: tags on orders, and indexes for the desk's searches

Revision ID: 0400
Revises: 0100
"""
from alembic import op
import sqlalchemy as sa

revision = '0400'
down_revision = '0100'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('order_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('colour', sa.String(length=7), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_order_tags_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_tags'))
    )
    with op.batch_alter_table('order_tags', schema=None) as batch_op:
        batch_op.create_index('ix_order_tags_site_id_name', ['site_id', 'name'], unique=True)

    op.create_table('order_tag_links',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_tag_links_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_order_tag_links_site_id_sites')),
    sa.ForeignKeyConstraint(['tag_id'], ['order_tags.id'], name=op.f('fk_order_tag_links_tag_id_order_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', 'tag_id', name=op.f('pk_order_tag_links'))
    )
    with op.batch_alter_table('order_tag_links', schema=None) as batch_op:
        batch_op.create_index('ix_order_tag_links_site_id_tag_id_order_id', ['site_id', 'tag_id', 'order_id'], unique=False)

    # search by order number (the desk's search box); phone already has ix_orders_site_id_phone
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_site_id_number', ['site_id', 'number'], unique=False)


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_site_id_number')
    with op.batch_alter_table('order_tag_links', schema=None) as batch_op:
        batch_op.drop_index('ix_order_tag_links_site_id_tag_id_order_id')
    op.drop_table('order_tag_links')
    with op.batch_alter_table('order_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_order_tags_site_id_name')
    op.drop_table('order_tags')
