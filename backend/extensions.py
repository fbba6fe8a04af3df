"""Extensions, created unbound; create_app() binds them."""
import time

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import Pool

from backend.errors import http_exception_response

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class BikriApi(Api):
    """flask-smorest's Api, with errors in Bikri's one shape (see errors.py)."""

    def handle_http_exception(self, error):
        return http_exception_response(error)


# Objects stay readable after a commit without a fresh SELECT each: requests and jobs commit
# at their end (or, for money, at a point they choose) and do not rely on reloading.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
api = BikriApi()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
babel = Babel()


# Pessimistic disconnect handling, only where it is needed. SQLAlchemy's pool_pre_ping asks the
# database on every checkout — and a request checks a connection out once per transaction, so
# an SMS send paid three extra round trips. A connection that was in use in the last few
# seconds is alive (a database restart in that window fails one request, and SQLAlchemy then
# replaces the whole pool); one that sat idle longer is asked first, and replaced if dead.
IDLE_PING_AFTER_SECONDS = 5.0


@event.listens_for(Pool, "checkout")
def _ping_if_idle(dbapi_connection, record, _proxy):
    if time.monotonic() - record.info.get("returned_at", 0.0) < IDLE_PING_AFTER_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as error:  # any driver's "connection is gone"
        raise DisconnectionError(str(error)) from error  # the pool discards it and connects afresh


@event.listens_for(Pool, "checkin")
def _note_return(_dbapi_connection, record):
    record.info["returned_at"] = time.monotonic()
