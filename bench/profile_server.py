"""Where the PostgreSQL server's CPU goes in a command: the read, the write, the commit, and
each statement of the write. The profile behind issue 17's server share.

Drives the bench's seven commands (draft .. close) N times on a fresh database with one
worker, and reads its backend's CPU (/proc: the server runs here) around each part. The
kernel counts CPU in clock ticks, so a part is only known on average over many commands
(N=400 gives ~2,800). With PARTS=1 the write's statements are sent one round trip each, to
name what each costs (its round trip included); without it the write goes as in production.

    N=400 .venv/bin/python -m bench.profile_server
    N=400 PARTS=1 .venv/bin/python -m bench.profile_server
"""

from __future__ import annotations

import collections
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text

from bench.common import fresh_pg_database, process_cpu
from bench.lifecycle import build_world

WARM_UP = 3


class ServerClock:
    """The backend's CPU, charged to the part of a command that just ran."""

    def __init__(self, backend: int) -> None:
        self.backend = backend
        self.parts: collections.Counter[str] = collections.Counter()
        self.counts: collections.Counter[str] = collections.Counter()
        self.last = process_cpu(backend)

    def charge(self, part: str) -> None:
        now = process_cpu(self.backend)
        self.parts[part] += now - self.last
        self.counts[part] += 1
        self.last = now

    def reset(self) -> None:
        self.parts.clear()
        self.counts.clear()
        self.last = process_cpu(self.backend)


@contextmanager
def _charged(engine: Any, clock: list[ServerClock], by_statement: bool) -> Iterator[None]:
    """Charge the read, the write (or each of its statements) and the commit to `clock[0]`."""
    from workflow import appends
    from workflow.prepared import PreparedRead

    read, write = PreparedRead.first, appends.write

    def charged_read(self: PreparedRead, connection: Any, params: dict[str, Any]) -> Any:
        appends.write(connection)  # what waits before the read is the write's
        if clock:
            clock[0].charge("other")
        out = read(self, connection, params)
        if clock:
            clock[0].charge("read (with its BEGIN)")
        return out

    def charged_write(connection: Any) -> None:
        buffer = connection.info.get(appends._KEY)
        if not clock or buffer is None or not (buffer.rows or buffer.after or buffer.checked):
            write(connection)
            return
        clock[0].charge("other")
        if by_statement and connection.dialect.name == "postgresql":
            _write_each(connection, clock[0])
        else:
            write(connection)
            clock[0].charge("write")

    def charged_commit(_connection: Any) -> None:
        if clock:
            clock[0].charge("other")

    PreparedRead.first = charged_read  # type: ignore[method-assign]
    appends.write = charged_write  # type: ignore[assignment]
    event.listen(engine, "commit", charged_commit)
    try:
        yield
    finally:
        PreparedRead.first = read  # type: ignore[method-assign]
        appends.write = write  # type: ignore[assignment]
        event.remove(engine, "commit", charged_commit)


def _write_each(connection: Any, clock: ServerClock) -> None:
    """The one write's statements, one round trip each, charged by table."""
    from workflow import appends

    buffer = connection.info.pop(appends._KEY)
    cursor = connection.connection.dbapi_connection.cursor()
    statements = appends._Prepared(cursor, connection)
    parts = appends._postgresql(statements, connection.dialect, buffer)
    parts += [statements.execute(sql, params) for sql, params, _error in buffer.checked]
    statements.prepare()
    clock.charge("other")
    for part in parts:
        cursor.execute(part)
        clock.charge(f"write: {_table_of(part)}")
    cursor.close()


def _table_of(part: bytes) -> str:
    from workflow import appends

    name = re.match(rb"EXECUTE (\w+)", part)
    body = next((b for n, b in appends._NAMED.values()
                 if name and n == name.group(1).decode()), part.decode(errors="replace"))
    found = re.search(r"(INSERT INTO|UPDATE) \"?(\w+)", body)
    return f"{found.group(1).split()[0]} {found.group(2)}" if found else body[:40]


def _profile(url: str, keystore: str, rounds: int, by_statement: bool) -> None:
    sys.path.insert(0, "tests")
    from bench.lifecycle import Lifecycle
    from workflow.runtime import Runtime

    ids = build_world(url, keystore)
    rt = Runtime(url, keystore, "bench-key")
    life = Lifecycle.signed_in(rt, ids)
    with rt.read() as s:
        backend = int(s.scalar(text("SELECT pg_backend_pid()")))
    clock: list[ServerClock] = []
    commands = [command for _name, command in life.steps()]
    with _charged(rt.engine, clock, by_statement):
        clock.append(ServerClock(backend))
        for i in range(WARM_UP + rounds):
            if i == WARM_UP:
                clock[0].reset()
            with rt.command() as s:
                sid = life.draft(s)
            clock[0].charge("commit")
            for command in commands:
                with rt.command() as s:
                    command(s, sid)
                clock[0].charge("commit")
    rt.dispose()
    _print(clock[0], rounds * 7)


def _print(clock: ServerClock, commands: int) -> None:
    for part, seconds in clock.parts.most_common():
        print(f"{part:36s} {seconds / commands * 1e6:7.0f} us per command"
              + (f"  ({clock.counts[part] / commands:.2f} per command)"
                 if part.startswith("write: ") else ""))
    print(f"{'total':36s} {sum(clock.parts.values()) / commands * 1e6:7.0f} us per command "
          f"(the backend's user + system CPU over {commands} commands)")


if __name__ == "__main__":
    with fresh_pg_database("hubtable_profile") as url, tempfile.TemporaryDirectory() as tmp:
        _profile(url, f"sqlite:///{tmp}/keys.db", int(os.environ.get("N", "200")),
                 bool(os.environ.get("PARTS")))
