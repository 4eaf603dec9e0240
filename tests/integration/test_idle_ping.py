"""A pooled connection is proven only after an idle spell, and a dead one is replaced.

Why: pinging on every checkout was one round trip in every twenty a command made; a worker
busy with commands reuses a connection it proved a moment ago. A connection the server dropped
while it sat idle (a restart, an idle timeout) must still never reach a command. The trade:
within the idle spell a checkout trusts the connection, so a drop in those few seconds meets
the first statement, which fails once and the pool replaces the connection.
"""

from __future__ import annotations

from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import NullPool

from workflow import db


def _pids(runtime) -> tuple[int, int]:
    with runtime.engine.connect() as conn:
        first = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with runtime.engine.connect() as conn:
        second = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    return first, second


def _terminate(runtime, pid: int) -> None:
    """End a backend from a connection of its own (not the pool's: it would hand out the very
    connection to be dropped)."""
    killer = create_engine(runtime.engine.url, poolclass=NullPool)
    with killer.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    killer.dispose()


def test_a_busy_connection_is_not_pinged_again(pg_runtime):
    pings: list[str] = []
    event.listen(pg_runtime.engine, "before_cursor_execute",
                 lambda *a: pings.append(a[2]) if a[2] == "SELECT 1" else None)
    first, second = _pids(pg_runtime)
    assert first == second  # the same pooled connection, reused at once
    assert pings == []  # the ping goes through the driver's cursor, never a statement event


def test_a_connection_dropped_while_idle_is_replaced(pg_runtime, monkeypatch):
    with pg_runtime.engine.connect() as conn:
        idle_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    _terminate(pg_runtime, idle_pid)
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
    with pg_runtime.engine.connect() as conn:  # would fail with "server closed the connection"
        fresh_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    assert fresh_pid != idle_pid
