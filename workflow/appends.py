"""A transaction's append-only rows, written together just before it commits: the one write.

Why: a command appends audit entries (and moves their chain head), outbox events and rule
firings, none of which it reads back. Sent one by one they were half of a command's round trips
and most of its SQLAlchemy overhead; here they wait in a buffer on the connection and leave in a
single round trip as the transaction commits (one multi-row INSERT per table, on PostgreSQL all
of them in one string), through the driver's own cursor, with the columns' own bind processing.
On PostgreSQL a command's statements are EXECUTEs of statements prepared once per connection
(`_Prepared`), so the server plans them once, not on every command.

Nothing can tell the difference: before any statement that names a buffered table (a read of
the audit log, the dispatcher claiming events, a DELETE of anything), and before a savepoint is
set, released or rolled back to, the buffer is written first, so every reader of this
transaction sees its rows; what waits when a savepoint is rolled back to was appended inside it,
and goes with it. A rollback
discards the buffer; a failed write fails the commit, so the transaction is all or nothing, as
before.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Pool, Table, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from workflow import literals, server_statements
from workflow.db import connection_of, without_row_detail
from workflow.models.base import Base

_KEY = "hubtable.appends"


@dataclass(frozen=True)
class _Shape:
    """One table's INSERT for one dialect, compiled once: columns, placeholders, processors."""

    head: str
    row: str
    columns: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]


_SHAPES: dict[tuple[str, str, tuple[str, ...]], _Shape] = {}


def _shape(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> _Shape:
    key = (dialect.name, table.name, columns)
    shape = _SHAPES.get(key)
    if shape is None:
        mark = "%s" if dialect.name == "postgresql" else "?"
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(table.c[c].name) for c in columns)  # columns of the model only
        shape = _SHAPES[key] = _Shape(
            head=f"INSERT INTO {quote(table.name)} ({names}) VALUES ",  # noqa: S608
            row="(" + ", ".join([mark] * len(columns)) + ")",
            columns=columns,
            processors=tuple(table.c[c].type.dialect_impl(dialect).bind_processor(dialect)
                             for c in columns),
        )
    return shape


@dataclass
class Buffer:
    """The rows waiting on one connection, in the order they were appended, and the
    statements (chain heads) that must follow them."""

    rows: list[tuple[Table, dict[str, Any]]] = field(default_factory=list)
    after: dict[Any, tuple[str, tuple[Any, ...]]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    #: version-checked updates, sent last: (sql, params, the error if no row matched)
    checked: list[tuple[str, tuple[Any, ...], Exception]] = field(default_factory=list)


def add(session: Session, model: type[Base], values: dict[str, Any] | list[dict[str, Any]]
        ) -> None:
    """Append rows of `model` in this transaction (written before anything can read them)."""
    table = model.__table__
    assert isinstance(table, Table)
    buffer = buffer_of(connection_of(session))
    for row in values if isinstance(values, list) else [values]:
        buffer.rows.append((table, row))
    buffer.names.add(table.name)


def then(session: Session, key: Any, sql: str, params: tuple[Any, ...], *,
         names: tuple[str, ...] = ()) -> None:
    """A statement to run after the rows (the last one given for `key` wins): a chain head."""
    buffer = buffer_of(connection_of(session))
    buffer.after[key] = (sql, params)
    buffer.names.update(names)


def update_checked(session: Session, model: type[Base], row_id: int, version: int,
                   values: dict[str, Any], error: Exception) -> None:
    """Update one row and step its version, only if it still has `version` (sent last in the
    one write; `error` is raised, failing the commit, when the row has moved on)."""
    connection = connection_of(session)
    table = model.__table__
    assert isinstance(table, Table)
    dialect = connection.dialect
    columns = tuple(values)
    sql = _UPDATES.get((dialect.name, table.name, columns))
    if sql is None:
        mark = "%s" if dialect.name == "postgresql" else "?"
        quote = dialect.identifier_preparer.quote
        sets = "".join(f"{quote(c)} = {mark}, " for c in columns)
        sql = _UPDATES[(dialect.name, table.name, columns)] = (
            f"UPDATE {quote(table.name)} SET {sets}version = version + 1 "  # noqa: S608
            f"WHERE id = {mark} AND version = {mark}")
    shape = _shape(dialect, table, columns)
    params = tuple(p(values[c]) if p else values[c]
                   for c, p in zip(columns, shape.processors, strict=True))
    buffer = buffer_of(connection)
    buffer.checked.append((sql, (*params, row_id, version), error))
    buffer.names.add(table.name)


_UPDATES: dict[tuple[str, str, tuple[str, ...]], str] = {}


def bound(session: Session, model: type[Base], values: dict[str, Any]) -> tuple[Any, ...]:
    """`values` as the driver takes them (the columns' own bind processing), for `then`."""
    table = model.__table__
    assert isinstance(table, Table)
    shape = _shape(connection_of(session).dialect, table, tuple(values))
    return tuple(p(values[c]) if p else values[c]
                 for c, p in zip(shape.columns, shape.processors, strict=True))


def buffer_of(connection: Connection) -> Buffer:
    buffer: Buffer | None = connection.info.get(_KEY)
    if buffer is None:
        buffer = connection.info[_KEY] = Buffer()
    return buffer


def write(connection: Connection) -> None:
    """Send the buffer now (the commit, a savepoint or a reader is about to come)."""
    buffer: Buffer | None = connection.info.pop(_KEY, None)
    if buffer is None or not (buffer.rows or buffer.after or buffer.checked):
        return
    dialect = connection.dialect
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    checked = list(buffer.checked)
    try:
        if dialect.name == "postgresql":
            statements = _Prepared(cursor, connection)
            parts = _postgresql(statements, dialect, buffer)
            last = checked.pop(0) if checked else None
            if last is not None:  # the first checked update rides last: its row count is read
                parts.append(statements.execute(last[0], last[1]))
            statements.prepare()
            if parts:
                cursor.execute(b";\n".join(parts))
            if last is not None and cursor.rowcount != 1:
                raise last[2]
        else:
            for sql, params in _statements(dialect, buffer):
                cursor.executemany(sql, params)
        for update_sql, values, moved_on in checked:
            cursor.execute(update_sql, values)
            if cursor.rowcount != 1:
                raise moved_on
    except dialect.loaded_dbapi.Error as error:
        without_row_detail(error)  # as for every other statement (workflow.db)
        server_statements.forget_if_dropped(connection, error)
        raise
    finally:
        cursor.close()


def _grouped(dialect: Dialect, buffer: Buffer) -> list[tuple[_Shape, list[tuple[Any, ...]]]]:
    """The rows of one table and shape become one multi-row INSERT, the tables in the order
    they first appear (a command's transitions and audit entries interleave; each table's own
    rows keep their order). Appended rows refer only to rows already in the database or to
    rows of a table appended before theirs (a new situation, then its factors and entries)."""
    groups: dict[_Shape, list[tuple[Any, ...]]] = {}
    for table, row in buffer.rows:
        shape = _shape(dialect, table, tuple(row))
        values = tuple(p(row[c]) if p else row[c]
                       for c, p in zip(shape.columns, shape.processors, strict=True))
        groups.setdefault(shape, []).append(values)
    return list(groups.items())


def _postgresql(statements: _Prepared, dialect: Dialect, buffer: Buffer) -> list[bytes]:
    """The write's statements: a command's as EXECUTEs of statements prepared on the
    connection, a bulk INSERT (more than PREPARED_ROWS rows) as text."""
    cursor = statements.cursor
    parts = [statements.execute(shape.head + ", ".join([shape.row] * len(rows)),
                                [value for row in rows for value in row])
             if len(rows) <= PREPARED_ROWS else
             shape.head.encode() + b", ".join(cursor.mogrify(shape.row, v) for v in rows)
             for shape, rows in _grouped(dialect, buffer)]
    parts += [statements.execute(sql.replace("?", "%s"), params)
              for sql, params in buffer.after.values()]
    return parts


#: A command's statements are prepared; a bulk INSERT (a sweep's hundreds of rows) goes as
#: text: its parsing is spread over its rows, and one statement takes at most 65,535
#: parameters.
PREPARED_ROWS = 8
#: statement text (%s markers) -> (its prepared name, its body with $n markers)
_NAMED: dict[str, tuple[str, str]] = {}
#: The write's statements are a few dozen shapes (a table's columns, up to PREPARED_ROWS rows);
#: past this many, new ones go as text, so a connection never holds an unbounded number.
_MOST = 500


class _Prepared:
    """The one write's statements as EXECUTEs of statements prepared on the connection
    (PostgreSQL; workflow.server_statements).

    Why: sent as text, each statement of a command's write was parsed, analysed and planned
    again on every command (a quarter of the server's work for the write, measured); prepared
    once per connection, the server runs the plan it keeps. What this connection has not
    prepared yet is prepared before the write, each in a round trip of its own.
    """

    def __init__(self, cursor: Any, connection: Connection) -> None:
        self.cursor = cursor
        self.connection = connection
        self.held = server_statements.held(connection)
        self.needed: dict[str, str] = {}

    def execute(self, sql: str, params: Any) -> bytes:
        named = _NAMED.get(sql)
        if named is None:
            if len(_NAMED) >= _MOST:  # a statement text that varies: never a server leak
                return self.cursor.mogrify(sql, params)  # type: ignore[no-any-return]
            named = _NAMED[sql] = _name(sql)
        name, body = named
        if name not in self.held:
            self.needed[name] = body
        return literals.execute(self.cursor, name, params)

    def prepare(self) -> None:
        for name, body in self.needed.items():
            server_statements.prepare_once(self.cursor, self.connection, name, body)
        self.needed.clear()


def _name(sql: str) -> tuple[str, str]:
    count = itertools.count(1)
    numbered = re.sub(r"%s", lambda _: f"${next(count)}", sql)
    return server_statements.new_name("write"), numbered


def _statements(dialect: Dialect, buffer: Buffer) -> list[tuple[str, list[tuple[Any, ...]]]]:
    out = [(shape.head + shape.row, rows) for shape, rows in _grouped(dialect, buffer)]
    out += [(sql, [params]) for sql, params in buffer.after.values()]
    return out


def discard(connection: Connection) -> None:
    connection.info.pop(_KEY, None)


# -- when the buffer is written or dropped ----------------------------------------------------
@event.listens_for(Engine, "before_cursor_execute")
def _before_reader(conn: Connection, cursor: Any, statement: str, parameters: Any,
                   context: Any, executemany: bool) -> None:
    buffer: Buffer | None = conn.info.get(_KEY)
    if buffer is not None and (statement.lstrip()[:6].upper() == "DELETE"
                               or any(name in statement for name in buffer.names)):
        write(conn)


@event.listens_for(Engine, "commit")
def _on_commit(conn: Connection) -> None:
    write(conn)


@event.listens_for(Session, "before_flush")
def _before_orm_flush(session: Session, _context: Any, _instances: Any) -> None:
    """An ORM flush may insert rows that refer to rows waiting here (a draft's new situation,
    whose id its caller already holds): those go first. Waiting rows never refer to unflushed
    ORM objects (they carry ids, which only a flush gives)."""
    if session.get_transaction() is not None:
        connection = session.connection()
        if _KEY in connection.info:
            write(connection)


@event.listens_for(Engine, "savepoint")
def _on_savepoint(conn: Connection, name: str) -> None:
    write(conn)


@event.listens_for(Engine, "rollback_savepoint")
def _on_rollback_savepoint(conn: Connection, name: str, context: Any) -> None:
    discard(conn)  # written when the savepoint was set: what waits was appended inside it


@event.listens_for(Engine, "release_savepoint")
def _on_release_savepoint(conn: Connection, name: str, context: Any) -> None:
    write(conn)


@event.listens_for(Engine, "rollback")
def _on_rollback(conn: Connection) -> None:
    discard(conn)


@event.listens_for(Pool, "checkin")
def _on_checkin(dbapi_connection: Any, record: Any) -> None:
    """A connection back in the pool carries nothing into its next transaction."""
    if record is not None:
        record.info.pop(_KEY, None)
