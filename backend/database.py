"""Small database helpers shared by domains."""
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import orjson
from sqlalchemy import ForeignKey, Text, TypeDecorator, any_, bindparam, cast, column, func, select
from sqlalchemy.dialects.postgresql import ARRAY, JSON, insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.clock import utcnow


def on_postgresql() -> bool:
    """Whether the session's database is PostgreSQL (the other one Bikri runs on is SQLite)."""
    return db.session.get_bind().dialect.name == "postgresql"


def upsert_insert(model):
    """INSERT for the session's dialect, with `.on_conflict_do_update/do_nothing` (PostgreSQL and SQLite both have them)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        insert = postgresql_insert
    elif dialect == "sqlite":
        insert = sqlite_insert
    else:  # pragma: no cover - Bikri runs on these two
        raise RuntimeError(f"no upsert for database {dialect!r}")
    return insert(model)


def in_list(column, values):
    """`column IN (values)` whose SQL text is the same however many values there are: on
    PostgreSQL `column = ANY(:array)`, so the driver prepares the statement once and the server
    plans it once (an IN list is a new statement for every length, planned afresh each time:
    most of what a small lookup on the order-event path cost)."""
    values = list(values)
    if on_postgresql():
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def insert_rows(table, rows: list[dict], *, conflict=None, update=(), add=(), where=None, returning=()) -> list:
    """INSERT many rows (all with the same keys) in one round trip, optionally upserting.

    PostgreSQL gets one short statement, `INSERT … SELECT … FROM json_to_recordset(:rows)`,
    whatever the number of rows: a page of orders costs one round trip instead of one per row
    (each a GIL hand-off when another thread is busy), its SQL text never changes, so the
    driver's and the server's caches keep it, and the rows travel as one JSON text, which
    orjson writes in C (arrays per column, dumped value by value in Python, cost more than the
    rest of an order upsert; the json module's encoder still cost a tenth of a backfill).
    SQLite runs in-process: an executemany.

    `conflict`: the unique columns; then `update` (columns taken from the incoming row), `add`
    (columns the incoming row adds to), neither to skip the row, and `where(excluded)`, a
    condition for updating: a module-level function, since the statement is built once per
    set of arguments and kept. `returning`: columns of the rows written (SQLite then takes
    one multi-row VALUES statement).
    """
    if not rows:
        return []
    connection = db.session.connection()
    shape = _shape(table, rows, conflict, update, add, where, returning)
    if connection.dialect.name == "postgresql":
        statement = _STATEMENTS.get(shape)
        if statement is None:
            statement = _STATEMENTS[shape] = _postgresql_insert(*shape)
        params = {"rows": _rows_json(table, rows, connection.dialect)}
    elif returning:  # sqlite3's executemany cannot return rows
        statement, params = _sqlite_insert(*shape[:-1]).values(rows).returning(*[table.c[n] for n in returning]), None
    else:
        statement, params = _sqlite_insert(*shape[:-1]), rows
    if returning:
        return connection.execute(statement, params).all()
    connection.execute(statement, params)
    return []


def insert_rows_together(writes: list[tuple]) -> None:
    """Several `insert_rows` at once, as (table, rows, options) without `returning`. PostgreSQL
    runs them as one statement, each but the last a data-modifying CTE (the dashboard's rollup
    tables were five round trips for every order event batch); SQLite one after another."""
    writes = [(table, rows, options) for table, rows, options in writes if rows]
    connection = db.session.connection()
    if len(writes) < 2 or connection.dialect.name != "postgresql":
        for table, rows, options in writes:
            insert_rows(table, rows, **options)
        return
    shapes = tuple(_shape(table, rows, **options) for table, rows, options in writes)
    statement = _STATEMENTS.get(shapes)
    if statement is None:
        parts = [_postgresql_insert(*shape, param=f"rows_{n}") for n, shape in enumerate(shapes)]
        statement = parts[-1].add_cte(*[part.cte(f"write_{n}") for n, part in enumerate(parts[:-1])])
        _STATEMENTS[shapes] = statement
    connection.execute(statement, {f"rows_{n}": _rows_json(table, rows, connection.dialect)
                                   for n, (table, rows, _options) in enumerate(writes)})


def update_rows(table, rows: list[dict], *, key: str, where=None) -> None:
    """UPDATE many rows (all with the same keys) in one statement: each row's `key` column names
    the row, its other columns the values set. `where(table, incoming)` adds a condition (a
    module-level function, as in `insert_rows`: the statement is kept per set of arguments).
    PostgreSQL: one `UPDATE … FROM json_to_recordset(:rows)`, whatever the number of rows;
    SQLite: an executemany."""
    if not rows:
        return
    connection = db.session.connection()
    columns = tuple(rows[0])
    shape = ("update", table, columns, key, where, connection.dialect.name)
    statement = _STATEMENTS.get(shape)
    if connection.dialect.name == "postgresql":
        if statement is None:
            source = _recordset(table, columns, "rows")
            statement = table.update().where(table.c[key] == source.c[key]).values(
                {name: source.c[name] for name in columns if name != key})
            if where is not None:
                statement = statement.where(where(table, source))
            statement = _STATEMENTS[shape] = statement
        connection.execute(statement, {"rows": _rows_json(table, rows, connection.dialect)})
        return
    if statement is None:
        binds = {name: bindparam(f"incoming_{name}", type_=table.c[name].type) for name in columns}
        statement = table.update().where(table.c[key] == binds[key]).values(
            {name: bind for name, bind in binds.items() if name != key})
        if where is not None:  # `incoming.c.name` as on PostgreSQL: here the executemany's parameter
            statement = statement.where(where(table, SimpleNamespace(c=SimpleNamespace(**binds))))
        statement = _STATEMENTS[shape] = statement
    connection.execute(statement, [{f"incoming_{name}": value for name, value in row.items()} for row in rows])


def _shape(table, rows, conflict=None, update=(), add=(), where=None, returning=()) -> tuple:
    """What the statement for these rows depends on (its cache key)."""
    return (table, tuple(rows[0]), None if conflict is None else tuple(conflict), tuple(update), tuple(add), where,
            tuple(returning))


def _rows_json(table, rows: list[dict], dialect) -> str:
    converters = [(name, table.c[name].type) for name in rows[0] if isinstance(table.c[name].type, TypeDecorator)]
    if converters:  # Money and friends: the value the column stores
        rows = [{**row, **{name: kind.process_bind_param(row[name], dialect) for name, kind in converters}}
                for row in rows]
    return orjson.dumps(rows, default=_json_value).decode()


_STATEMENTS: dict = {}


def _recordset(table, columns, param):
    """The rows sent as one JSON text (`_rows_json`), as a table: `json_to_recordset(:param)`."""
    types = [table.c[name].type for name in columns]
    return func.json_to_recordset(cast(bindparam(param, type_=Text()), JSON)).table_valued(
        *[column(name, kind.impl_instance if isinstance(kind, TypeDecorator) else kind) for name, kind in zip(columns, types)]
    ).render_derived(name="incoming_rows", with_types=True)


def _postgresql_insert(table, columns, conflict, update, add, where, returning, param="rows"):
    source = _recordset(table, columns, param)
    statement = postgresql_insert(table).from_select(list(columns), select(*[source.c[name] for name in columns]))
    statement = _on_conflict(statement, table, conflict, update, add, where)
    return statement.returning(*[table.c[name] for name in returning]) if returning else statement


def _sqlite_insert(table, columns, conflict, update, add, where):
    return _on_conflict(sqlite_insert(table), table, conflict, update, add, where)


def _on_conflict(statement, table, conflict, update, add, where):
    if conflict is None:
        return statement
    index = [table.c[name] for name in conflict]
    if not (update or add):
        return statement.on_conflict_do_nothing(index_elements=index)
    return statement.on_conflict_do_update(
        index_elements=index,
        set_={**{name: statement.excluded[name] for name in update},
              **{name: table.c[name] + statement.excluded[name] for name in add}},
        where=where(statement.excluded) if where is not None else None)


def _json_value(value):
    # orjson writes datetimes and dates itself (ISO 8601, as PostgreSQL reads them), not subclasses
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"no JSON form for {type(value).__name__}")


# Indexes the migrations make by hand on PostgreSQL only (expression indexes the models cannot
# describe for both databases). Autogenerate and the models-vs-migrations test leave them be.
DATABASE_ONLY_INDEXES = {"ix_orders_billing_name_trgm", "ix_stock_items_live_name", "ix_stock_items_on_hand",
                         "ix_stock_items_name_trgm", "ix_stock_items_sku_trgm", "ix_stock_items_selling",
                         "ix_stock_items_managed_stock", "ix_help_articles_search"}
# Tables the migrations make by hand on SQLite only: the help centre's FTS5 index and the
# tables FTS5 keeps its index in (help_search_data, _idx, _docsize, _config).
DATABASE_ONLY_TABLES = ("help_search",)
# Columns the migrations make by hand on PostgreSQL only: (table, column).
DATABASE_ONLY_COLUMNS = {("help_articles", "search_vector")}


def include_object(obj, name, type_, reflected, compare_to):
    if type_ == "column":
        return (obj.table.name, name) not in DATABASE_ONLY_COLUMNS
    if type_ == "table":
        return not any(name == table or name.startswith(f"{table}_") for table in DATABASE_ONLY_TABLES)
    return not (type_ == "index" and name in DATABASE_ONLY_INDEXES)


class SiteOwned:
    """A model mixin for a row owned by one shop: an integer `id` primary key and `site_id`, the
    tenant column every query of the row is scoped by (a foreign key to sites.id, never NULL).
    Both come first in the table, as if declared at the top of the class. A table whose id or
    site_id differs (a BigInteger id, site_id in the primary key, nullable, indexed, unique,
    ON DELETE CASCADE) declares its own."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-2)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), sort_order=-1)


def row_for_site(model, site_id: int):
    """A shop's one settings row (primary key site_id), made on first use with the model's defaults."""
    row = db.session.get(model, site_id)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            db.session.execute(upsert_insert(model).values(site_id=site_id, updated_at=utcnow()))
    except IntegrityError:
        pass  # another request made it first
    return db.session.get(model, site_id)
