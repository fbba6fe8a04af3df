"""wishlist (U3): wishes, SMS alert subscriptions, their alerts, the shop's alert settings

Revision ID: 0980
Revises: 1020
"""
from alembic import op
import sqlalchemy as sa

revision = '0980'
down_revision = '1020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('wishes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('shopper', sa.String(length=40), nullable=False),
    sa.Column('wp_user_id', sa.BigInteger(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=16), nullable=True),
    sa.Column('product_wc_id', sa.BigInteger(), nullable=False),
    sa.Column('variation_wc_id', sa.BigInteger(), nullable=False),
    sa.Column('wished_at', sa.DateTime(), nullable=False),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.Column('bought_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_wishes_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wishes')),
    sa.UniqueConstraint('site_id', 'shopper', 'product_wc_id', 'variation_wc_id', name='uq_wishes_site_shopper_product')
    )
    with op.batch_alter_table('wishes', schema=None) as batch_op:
        batch_op.create_index('ix_wishes_site_product', ['site_id', 'product_wc_id'], unique=False)
        batch_op.create_index('ix_wishes_site_user', ['site_id', 'wp_user_id'], unique=False)
        batch_op.create_index('ix_wishes_site_phone', ['site_id', 'phone'], unique=False)
        batch_op.create_index('ix_wishes_site_email', ['site_id', 'email'], unique=False)

    op.create_table('wishlist_alert_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('item_wc_id', sa.BigInteger(), nullable=False),
    sa.Column('product_wc_id', sa.BigInteger(), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('back_in_stock', sa.Boolean(), nullable=False),
    sa.Column('price_drop', sa.Boolean(), nullable=False),
    sa.Column('price_seen', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_wishlist_alert_subscriptions_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wishlist_alert_subscriptions')),
    sa.UniqueConstraint('site_id', 'item_wc_id', 'phone', name='uq_wishlist_alert_subscriptions_site_item_phone')
    )
    op.create_table('wishlist_settings',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('back_in_stock_sms', sa.Boolean(), nullable=False),
    sa.Column('price_drop_sms', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('alerts_per_phone_per_day', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_wishlist_settings_site_id_sites')),
    sa.PrimaryKeyConstraint('site_id', name=op.f('pk_wishlist_settings'))
    )
    op.create_table('wishlist_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('event_key', sa.String(length=40), nullable=False),
    sa.Column('item_name', sa.String(length=400), nullable=False),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['work_jobs.id'], name=op.f('fk_wishlist_alerts_job_id_work_jobs')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_wishlist_alerts_site_id_sites')),
    sa.ForeignKeyConstraint(['subscription_id'], ['wishlist_alert_subscriptions.id'], name=op.f('fk_wishlist_alerts_subscription_id_wishlist_alert_subscriptions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wishlist_alerts')),
    sa.UniqueConstraint('subscription_id', 'kind', 'event_key', name='uq_wishlist_alerts_subscription_kind_event')
    )
    with op.batch_alter_table('wishlist_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_wishlist_alerts_phone_created', ['site_id', 'phone', 'created_at'], unique=False)
        batch_op.create_index('ix_wishlist_alerts_site_state', ['site_id', 'state'], unique=False)



def downgrade():
    with op.batch_alter_table('wishlist_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_wishlist_alerts_site_state')
        batch_op.drop_index('ix_wishlist_alerts_phone_created')

    op.drop_table('wishlist_alerts')
    op.drop_table('wishlist_settings')
    op.drop_table('wishlist_alert_subscriptions')
    with op.batch_alter_table('wishes', schema=None) as batch_op:
        for name in ('ix_wishes_site_email', 'ix_wishes_site_phone', 'ix_wishes_site_user'):
            batch_op.drop_index(name)
        batch_op.drop_index('ix_wishes_site_product')

    op.drop_table('wishes')
