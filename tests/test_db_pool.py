"""Connections the database dropped while they sat idle are replaced before a request uses them
(backend.extensions._ping_if_idle, which stands in for pool_pre_ping)."""
import pytest
from sqlalchemy import text

from backend.extensions import IDLE_PING_AFTER_SECONDS, db


def test_a_connection_killed_while_idle_is_replaced_before_use(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("only a server can drop a connection under us")
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        db.session.commit()  # back to the pool
        import psycopg

        with psycopg.connect(db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False),
                             autocommit=True) as admin:  # not from the pool: that would be the same connection
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        # the pooled connection is now dead; make it look idle long enough to be asked first
        for record in list(db.engine.pool._pool.queue):
            record.info["returned_at"] -= IDLE_PING_AFTER_SECONDS + 1
        assert db.session.execute(text("SELECT 1")).scalar_one() == 1
        assert db.session.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid


def test_a_recently_used_connection_is_not_asked_again(app):
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        db.session.commit()
        statements = []
        from sqlalchemy import event

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            db.session.execute(text("SELECT 2"))
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert statements == ["SELECT 2"]
