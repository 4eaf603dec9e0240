"""A read compiled once per database and prepared once per connection: a command's one read.

Why: the lean command path's context read (workflow.situation_context) is one statement of a
dozen subqueries, run on every command. Through SQLAlchemy each run walked the whole statement
for its cache key, and PostgreSQL parsed and planned it again (0.37 ms of planning against
0.17 ms of execution, measured with EXPLAIN ANALYZE). Here it is compiled once per dialect; on
PostgreSQL it is a server-side prepared statement (PREPARE once per connection, then EXECUTE),
on SQLite the compiled string, both sent through the driver's cursor (as the one write is: a
result object per run cost as much as the rest of the read). Rows come back through the
columns' own result processing, as SQLAlchemy would give them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select

from workflow import appends, literals
from workflow.db import without_row_detail
from workflow.server_statements import forget_if_dropped, new_name, prepare_once


@dataclass(frozen=True)
class _Compiled:
    sql: str
    order: tuple[str, ...]  # the parameters, by position
    constants: dict[str, Any]  # parameters the statement itself carries (separators, ...)
    processors: tuple[Callable[[Any], Any] | None, ...]
    keys: tuple[str, ...]


class PreparedRead:
    """One SELECT, compiled on first use per dialect, run with named parameters."""

    def __init__(self, query: Select[Any]) -> None:
        self.query = query
        self.name = new_name("read")
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, connection: Connection) -> _Compiled:
        dialect = connection.dialect
        found = self._compiled.get(dialect.name)
        if found is not None:
            return found
        compiled = self.query.compile(dialect=dialect)
        constants = {k: v for k, v in compiled.construct_params({}, _check=False).items()
                     if v is not None}
        sql = str(compiled)
        if dialect.name == "postgresql":
            order: list[str] = []

            def number(match: re.Match[str]) -> str:
                name = match.group(1)
                if name not in order:
                    order.append(name)
                return f"${order.index(name) + 1}"

            sql = re.sub(r"%\((\w+)\)s", number, sql)
        else:
            order = list(compiled.positiontup or ())
        processors = tuple(c.type._cached_result_processor(dialect, None)
                           for c in self.query.selected_columns)
        found = self._compiled[dialect.name] = _Compiled(
            sql, tuple(order), constants, processors,
            tuple(str(c.key) for c in self.query.selected_columns))
        return found

    def first(self, connection: Connection, params: dict[str, Any]) -> dict[str, Any] | None:
        """The first row as a dict of column key to value, or None."""
        compiled = self._compile(connection)
        # An EXECUTE names no table, so the one write's barrier cannot see what it reads:
        # what this transaction has appended is written first, as before any other reader.
        appends.write(connection)
        values = tuple(params[n] if n in params else compiled.constants.get(n)
                       for n in compiled.order)
        dialect = connection.dialect
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if dialect.name == "postgresql":
                prepare_once(cursor, connection, self.name, compiled.sql)
                cursor.execute(literals.execute(cursor, self.name, values))
            else:
                cursor.execute(compiled.sql, values)
            row = cursor.fetchone()
        except dialect.loaded_dbapi.Error as error:
            without_row_detail(error)  # as for every other statement (workflow.db)
            forget_if_dropped(connection, error)
            raise
        finally:
            cursor.close()
        if row is None:
            return None
        return {key: (process(value) if process is not None and value is not None else value)
                for key, process, value in zip(compiled.keys, compiled.processors, row,
                                               strict=True)}

