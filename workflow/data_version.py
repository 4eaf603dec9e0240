"""A token that changes whenever any transaction commits to the application database.

Why: a page built only from committed rows (the meeting's agenda tables) can be kept and
served again for as long as nothing has committed since; the token says when that is no longer
true, whoever committed (this process, another web process, a worker, a sweep, `hubtable`
on another machine), with no counter row that every command would have to update (one hot row
for every write) and no schema change.

- PostgreSQL: the sum of the commit counter that triggers bump in the same transaction as any
  change to any table (workflow.models.versions): it moves with every commit to this
  database, and with nothing else (PostgreSQL's own snapshot would also move with every commit
  to any other database of the server, Prefect's for one). Read before the rows it is to vouch
  for, so those rows are at least as new as the token, on connections of its own in
  autocommit: one round trip, with no pool check-out, ping or transaction to end (a tenth of
  the cost through the pool, and it is paid on every page view). A database without the
  counter (not migrated yet) gives None.
- SQLite: `PRAGMA data_version` on a connection of our own that never writes: SQLite changes it
  whenever any other connection, of any process, commits to the file (and sometimes when none
  did, e.g. as a connection opens the file: a needless re-render, never a stale page).
- Anything else (an in-memory SQLite database has no other connection to notice): None, and
  the caller keeps nothing.

Time also changes what a page shows (a deadline passes with no commit): next_overdue_at says
when the next one does.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import weakref
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from workflow.models import Deadline

_SUM = "SELECT 'pg:' || coalesce(sum(n), 0) FROM data_versions"  # workflow.models.versions


class DataVersion:
    """The commit token of one engine's database (one instance per engine and process)."""

    def __init__(self, engine: Engine) -> None:
        self._dialect = engine.dialect
        self._path = engine.url.database if self._dialect.name == "sqlite" else None
        self._watcher: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._args = engine.dialect.create_connect_args(engine.url)
        self._free: list[Any] = []  # idle PostgreSQL connections, at most one per thread
        weakref.finalize(self, _close_all, self._free)
        # Closed with the engine's pool (Runtime.dispose), as its own connections are.
        this = weakref.ref(self)
        event.listen(engine, "engine_disposed", lambda _engine: _close(this()))

    def current(self) -> str | None:
        """The token now; call it before reading the rows the token is to vouch for."""
        if self._dialect.name == "postgresql":
            return self._counter()
        if self._dialect.name == "sqlite" and self._path and self._path != ":memory:":
            return f"sqlite:{self._sqlite_version(self._path)}"
        return None

    def _counter(self) -> str | None:
        for attempt in (1, 2):
            with self._lock:
                connection = self._free.pop() if self._free else None
            try:
                if connection is None:
                    connection = self._dialect.connect(*self._args[0], **self._args[1])
                    self._dialect.set_isolation_level(connection, "AUTOCOMMIT")
                cursor = connection.cursor()
                cursor.execute(_SUM)
                row = cursor.fetchone()
                cursor.close()
                token = str(row[0]) if row is not None else ""
            except self._dialect.loaded_dbapi.ProgrammingError:  # no counter table
                _close_all([connection] if connection is not None else [])
                return None
            except self._dialect.loaded_dbapi.Error:
                if connection is not None:  # the server dropped it: a fresh one, once
                    _close_all([connection])
                if attempt == 2:
                    raise
                continue
            with self._lock:
                self._free.append(connection)
            return token
        raise AssertionError("unreachable")

    def _sqlite_version(self, path: str) -> int:
        with self._lock:
            if self._watcher is None:
                # Autocommit and never written through: it holds no transaction open, and its
                # counter moves on every commit of every other connection.
                self._watcher = sqlite3.connect(path, check_same_thread=False,
                                                isolation_level=None, timeout=30)
            return int(self._watcher.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            _close_all(self._free)
            if self._watcher is not None:
                self._watcher.close()
                self._watcher = None


_READERS: weakref.WeakKeyDictionary[Engine, DataVersion] = weakref.WeakKeyDictionary()
_READERS_LOCK = threading.Lock()


def data_version(engine: Engine) -> DataVersion:
    """This process's one reader of the engine's token: every cache over the engine shares its
    connections (and, on SQLite, its one watching connection)."""
    with _READERS_LOCK:
        found = _READERS.get(engine)
        if found is None:
            found = _READERS[engine] = DataVersion(engine)
        return found


def _close(version: DataVersion | None) -> None:
    if version is not None:
        version.close()


def _close_all(connections: list[Any]) -> None:
    while connections:
        with contextlib.suppress(Exception):  # closing: nothing left to save
            connections.pop().close()


def next_overdue_at(session: Session, situation_ids: Iterable[int], now: datetime
                    ) -> datetime | None:
    """When the next open deadline of these situations passes (an "overdue" mark appears with
    no commit), or None when none is still to come."""
    ids = list(situation_ids)
    if not ids:
        return None
    return session.scalar(select(func.min(Deadline.due_at)).where(
        Deadline.situation_id.in_(ids), Deadline.met_at.is_(None), Deadline.due_at >= now))
