"""Statements and Python CPU per command, one worker, on PostgreSQL: the profile behind issue 17.

Drives the same seven commands as bench_transitions (draft .. close, 9 transitions) N times on
a fresh database, counts every statement sent (`before_cursor_execute`) and the process CPU
time per command, and prints them per command (the first two rounds warm caches and are not
counted). SHOW=1 lists the statements; PROF=FILE writes a cProfile of the counted rounds.

    .venv/bin/python -m bench.profile_commands  (N=20 by default)
"""

from __future__ import annotations

import collections
import os
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from bench.common import fresh_pg_database, process_cpu
from bench.lifecycle import build_world


def _profile(url: str, keystore: str, rounds: int) -> None:
    sys.path.insert(0, "tests")
    from bench.lifecycle import Lifecycle
    from hubtable.settled import settle
    from workflow.runtime import Runtime

    ids = build_world(url, keystore)
    rt = Runtime(url, keystore, "bench-key")
    life = Lifecycle.signed_in(rt, ids)
    settle()  # as the benchmark's workers and the web processes do (hubtable.settled)
    counts: collections.Counter[str] = collections.Counter()
    statements: dict[str, collections.Counter[str]] = collections.defaultdict(
        collections.Counter)
    wall: collections.Counter[str] = collections.Counter()
    cpu: collections.Counter[str] = collections.Counter()
    current = ["-"]

    _count_round_trips(rt.engine, counts, statements, current)

    def step(name: str, fn: Callable[[Any], Any]) -> Any:
        current[0] = name
        w, c = time.perf_counter(), time.process_time()
        with rt.command() as s:
            out = fn(s)
        wall[name] += time.perf_counter() - w
        cpu[name] += time.process_time() - c
        return out

    profiler = None
    backend = [0.0]
    for i in range(rounds + 2):
        if i == 2:
            for c in (counts, wall, cpu, statements):
                c.clear()
            backend[0] = _backend_cpu(rt)
            if os.environ.get("PROF"):
                import cProfile
                profiler = cProfile.Profile()
                profiler.enable()
        sid = step("draft", life.draft)
        for name, command in life.steps():
            step(name, lambda s, command=command, sid=sid: command(s, sid))
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(os.environ["PROF"])
    _print(counts, statements, wall, cpu, rounds, _backend_cpu(rt) - backend[0])
    rt.dispose()


def _backend_cpu(rt: Any) -> float:
    """CPU seconds the pooled connection's PostgreSQL backend has used (one worker: one
    connection; the server runs on this machine)."""
    from sqlalchemy import text
    with rt.read() as s:
        return process_cpu(s.scalar(text("SELECT pg_backend_pid()")))


def _count_round_trips(engine: Any, counts: collections.Counter[str],
                       statements: dict[str, collections.Counter[str]],
                       current: list[str]) -> None:
    """Every statement sent, by the command in `current`; and the one write
    (workflow.appends), which goes through the driver's cursor past the statement event,
    counted as the round trip it is."""
    from workflow import appends
    from workflow.prepared import PreparedRead

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counts[current[0]] += 1
        statements[current[0]][statement.split("\n")[0][:90]] += 1

    send = appends.write

    def _counted_write(connection: Any) -> None:
        buffer = appends.buffer_of(connection)
        if buffer.rows or buffer.after or buffer.checked:
            counts[current[0]] += 1
            statements[current[0]]["(the one write: appended rows, one round trip)"] += 1
        send(connection)

    appends.write = _counted_write  # type: ignore[assignment]
    read = PreparedRead.first

    def _counted_read(self: PreparedRead, connection: Any, params: dict[str, Any]) -> Any:
        counts[current[0]] += 1
        statements[current[0]]["(the one read: a prepared statement, one round trip)"] += 1
        return read(self, connection, params)

    PreparedRead.first = _counted_read  # type: ignore[method-assign]


def _print(counts: collections.Counter[str],
           statements: dict[str, collections.Counter[str]],
           wall: collections.Counter[str], cpu: collections.Counter[str], rounds: int,
           server: float) -> None:
    """Per command and per transition: statements, wall and CPU time (SHOW=1: each SQL)."""
    for name in wall:
        print(f"{name:12s} {counts[name] / rounds:6.1f} statements "
              f"{wall[name] / rounds * 1000:7.2f} ms wall "
              f"{cpu[name] / rounds * 1000:7.2f} ms CPU (this process)")
        if os.environ.get("SHOW"):
            for text, n in statements[name].most_common():
                print(f"    {n / rounds:5.1f} {text}")
    per = rounds * 9
    print(f"per transition: {sum(counts.values()) / per:.1f} statements, "
          f"{sum(wall.values()) / per * 1000:.2f} ms wall, "
          f"{sum(cpu.values()) / per * 1000:.2f} ms CPU")
    print(f"server: {server / (rounds * 7) * 1000:.2f} ms CPU per command "
          "(the PostgreSQL backend's own user + system time, /proc)")


if __name__ == "__main__":
    with fresh_pg_database("hubtable_profile") as url, tempfile.TemporaryDirectory() as tmp:
        _profile(url, f"sqlite:///{tmp}/keys.db", int(os.environ.get("N", "20")))
