"""The schema comes from Alembic: the migrations must match the models and go down and up again."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from backend.dbutil import include_object
from backend.extensions import db


def test_models_and_migrations_agree(app):
    with app.app_context():
        with db.engine.connect() as connection:
            opts = {"render_as_batch": True, "include_object": include_object}
            diff = compare_metadata(MigrationContext.configure(connection, opts=opts), db.metadata)
    assert diff == [], f"models changed without a migration: {diff}"


def test_downgrade_to_base_and_upgrade_again(app):
    with app.app_context():
        downgrade(revision="base")
        assert "licenses" not in inspect(db.engine).get_table_names()
        upgrade()
        assert {"licenses", "sites", "embed_tickets", "operators", "job_locks"} <= set(inspect(db.engine).get_table_names())
