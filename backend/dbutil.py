"""Small database helpers shared by domains."""
from sqlalchemy import TypeDecorator, bindparam, cast, func, select

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


def insert_rows(table, rows: list[dict], *, conflict=None, update=(), add=(), where=None, returning=()) -> list:
    """INSERT many rows (all with the same keys) in one round trip, optionally upserting.

    PostgreSQL gets one short statement, `INSERT … SELECT … FROM unnest(:col1::type[], …)`,
    whatever the number of rows: a page of orders costs one round trip instead of one per
    row (each a GIL hand-off when another thread is busy) and its SQL text never changes, so
    the driver's and the server's caches keep it. SQLite runs in-process: an executemany.

    `conflict`: the unique columns; then `update` (columns taken from the incoming row), `add`
    (columns the incoming row adds to), neither to skip the row, and `where(excluded)`, a
    condition for updating. `returning`:
    columns of the rows written (SQLite then takes one multi-row VALUES statement).
    """
    if not rows:
        return []
    connection = db.session.connection()
    columns = list(rows[0])
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY, insert

        arrays, params = [], {}
        for i, name in enumerate(columns):
            column_type, values = table.c[name].type, [row[name] for row in rows]
            if isinstance(column_type, TypeDecorator):
                # a CAST to an array type binds no processor: convert (Money → its integer) here
                values = [column_type.process_bind_param(value, connection.dialect) for value in values]
                column_type = column_type.impl_instance
            arrays.append(cast(bindparam(f"rows_{i}"), ARRAY(column_type)))
            params[f"rows_{i}"] = values
        source = func.unnest(*arrays).table_valued(*columns).render_derived(name="incoming_rows")
        statement = insert(table).from_select(columns, select(*[source.c[name] for name in columns]))
    else:
        from sqlalchemy.dialects.sqlite import insert

        # sqlite3's executemany cannot return rows
        statement, params = (insert(table).values(rows), None) if returning else (insert(table), rows)
    if conflict is not None:
        index = [table.c[name] for name in conflict]
        if update or add:
            statement = statement.on_conflict_do_update(
                index_elements=index,
                set_={**{name: statement.excluded[name] for name in update},
                      **{name: table.c[name] + statement.excluded[name] for name in add}},
                where=where(statement.excluded) if where is not None else None)
        else:
            statement = statement.on_conflict_do_nothing(index_elements=index)
    if returning:
        return connection.execute(statement.returning(*[table.c[name] for name in returning]), params).all()
    connection.execute(statement, params)
    return []


# Indexes the migrations make by hand on PostgreSQL only (expression indexes the models cannot
# describe for both databases). Autogenerate and the models-vs-migrations test leave them be.
DATABASE_ONLY_INDEXES = {"ix_orders_billing_name_trgm"}


def include_object(obj, name, type_, reflected, compare_to):
    return not (type_ == "index" and name in DATABASE_ONLY_INDEXES)


def row_for_site(model, site_id: int):
    """A shop's one settings row (primary key site_id), made on first use with the model's defaults."""
    from sqlalchemy.exc import IntegrityError

    from backend.timeutil import utcnow

    row = db.session.get(model, site_id)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            db.session.execute(upsert_insert(model).values(site_id=site_id, updated_at=utcnow()))
    except IntegrityError:
        pass  # another request made it first
    return db.session.get(model, site_id)
