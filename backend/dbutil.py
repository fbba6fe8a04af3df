"""Small database helpers shared by domains."""
from backend.extensions import db


def upsert_insert(model):
    """INSERT for the session's dialect, with `.on_conflict_do_update/do_nothing` (PostgreSQL and SQLite both have them)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - Bikri runs on these two
        raise RuntimeError(f"no upsert for database {dialect!r}")
    return insert(model)
