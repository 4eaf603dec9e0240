"""The transitions benchmark's database work alone, replayed: the ceiling of its goal.

Why: the transitions goal (issue 17) divides two whole-machine throughputs on the same two
cores, so the server's share of each command bounds what any client could reach, however
little Python it ran. This measures that bound instead of working it out: one process drives
bench_transitions' seven commands (draft .. close, 9 transitions) for every situation the
four workers would drive, on a copy of the prepared database, and keeps the exact bytes each
command sent (a recording cursor: the one read, the one write, and the PREPAREs a connection
makes once). Four processes that do nothing else then send those bytes again, one commit per
command as recorded, on a fresh copy of the same starting database (each connection made as
the product makes them, its statements prepared before the clock starts), beside
`pgbench -N` with 4 clients in the same run. The same rows, locks, indexes, triggers and
foreign keys, without the domain: what is left between this ratio and bench_transitions'
is the domain's own Python. Informative: it has no goal of its own.

    .venv/bin/python -m bench.bench_ceiling
"""

from __future__ import annotations

import json
import multiprocessing as mp
import sys
import tempfile
import time
from typing import Any

from bench.bench_transitions import (
    GOAL,
    PER_WORKER,
    TRANSITIONS_PER_SITUATION,
    WARM_UP,
    WORKERS,
)
from bench.common import (
    fresh_pg_database,
    machine_busy,
    pg_database_name,
    pgbench_run,
    process_cpu,
    result,
)
from bench.lifecycle import COMMANDS_PER_SITUATION, build_world

Command = list[bytes]


def record(url: str, keystore: str, ids: dict, situations: int
            ) -> tuple[list[bytes], list[list[Command]]]:
    """(the PREPAREs, each situation's commands as the bytes they sent), driven through the
    domain on `url` by one process."""
    import psycopg2.extensions
    from sqlalchemy import event

    from bench.lifecycle import Lifecycle
    from workflow.runtime import Runtime

    sent: list[bytes] | None = None

    class Recording(psycopg2.extensions.cursor):  # type: ignore[misc]
        def execute(self, query: Any, vars: Any = None) -> Any:  # noqa: A002 (the driver's)
            try:
                return super().execute(query, vars)
            finally:
                if sent is not None and self.query is not None:
                    sent.append(bytes(self.query))

    rt = Runtime(url, keystore, "bench-key")
    rt.engine.dispose()  # its start-up check has connected already: every connection records
    event.listen(rt.engine, "connect",
                 lambda dbapi_connection, _record: setattr(dbapi_connection, "cursor_factory",
                                                           Recording))
    life = Lifecycle.signed_in(rt, ids)
    steps = [command for _name, command in life.steps()]
    prepares: list[bytes] = []
    lifecycles: list[list[Command]] = []
    for _ in range(situations):
        commands: list[Command] = []
        sent = []
        with rt.command() as s:
            sid = life.draft(s)
        commands.append(sent)
        for step in steps:
            sent = []
            with rt.command() as s:
                step(s, sid)
            commands.append(sent)
        sent = None
        for command in commands:  # a connection prepares once: kept apart, sent before timing
            prepares += [q for q in command if q.startswith(b"PREPARE ")]
            command[:] = [q for q in command if not q.startswith(b"PREPARE ")]
        lifecycles.append(commands)
    rt.dispose()
    return prepares, lifecycles


def _client(args: tuple[str, list[bytes], list[list[Command]], mp.Queue, Any]) -> None:
    """One client: send each command's bytes and commit, nothing else."""
    url, prepares, lifecycles, queue, barrier = args
    from workflow.db import make_engine

    engine = make_engine(url)  # the product's connection set-up (its plan cache mode)
    proxy = engine.raw_connection()
    connection = proxy.driver_connection
    assert connection is not None
    cursor = connection.cursor()
    cursor.execute("SELECT pg_backend_pid()")
    backend = cursor.fetchone()[0]
    for statement in prepares:
        cursor.execute(statement)
    connection.commit()
    start, cpu = time.perf_counter(), (0.0, 0.0)
    for i, commands in enumerate(lifecycles):
        if i == WARM_UP:
            barrier.wait(timeout=600)
            start, cpu = time.perf_counter(), (process_cpu(backend), machine_busy())
        for command in commands:
            for statement in command:
                cursor.execute(statement)
            connection.commit()
    elapsed = time.perf_counter() - start
    used = (process_cpu(backend) - cpu[0], machine_busy() - cpu[1])
    cursor.execute("SELECT count(*) FROM situations WHERE stage = 'closed'")
    closed = cursor.fetchone()[0]
    proxy.close()
    engine.dispose()
    queue.put((len(lifecycles) - WARM_UP, elapsed, *used, closed))


def replay(url: str, prepares: list[bytes], lifecycles: list[list[Command]]
           ) -> tuple[float, float, float]:
    """Four replaying clients on `url`: (transitions/s, backend and machine CPU ms/command)."""
    ctx = mp.get_context("spawn")
    queue, barrier = ctx.Queue(), ctx.Barrier(WORKERS)
    shares = [lifecycles[i::WORKERS] for i in range(WORKERS)]
    procs = [ctx.Process(target=_client, args=((url, prepares, share, queue, barrier),))
             for share in shares]
    for p in procs:
        p.start()
    outs = [queue.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    timed = sum(o[0] for o in outs)
    commands = timed * COMMANDS_PER_SITUATION
    closed = max(o[4] for o in outs)
    assert closed == len(lifecycles), f"{len(lifecycles) - closed} replayed situations not closed"
    wall = max(o[1] for o in outs)
    return (timed * TRANSITIONS_PER_SITUATION / wall, sum(o[2] for o in outs) / commands * 1000,
            max(o[3] for o in outs) / commands * 1000)


def run(database_url: str | None = None, *, per_worker: int = PER_WORKER) -> list[dict]:
    """(`database_url` is the bench runner's; like bench_transitions, this makes its own.)"""
    sys.path.insert(0, "tests")
    with tempfile.TemporaryDirectory() as tmp, \
            fresh_pg_database("hubtable_bench_ceiling") as start:
        ids = build_world(start, f"sqlite:///{tmp}/keys.db")
        with fresh_pg_database("hubtable_bench_recorded", copy_of=start) as recorded:
            prepares, lifecycles = record(recorded, f"sqlite:///{tmp}/keys.db", ids,
                                           WORKERS * (WARM_UP + per_worker))
        with fresh_pg_database("hubtable_bench_replayed", copy_of=start) as replayed:
            tps, backends, whole = replay(replayed, prepares, lifecycles)
        with fresh_pg_database("hubtable_bench_pgbench") as pgb:
            baseline, pgbench_cpu = pgbench_run(pg_database_name(pgb), clients=WORKERS)
    why = ("informative: the ceiling of the goal '" + GOAL + "': the same statements "
           "replayed with no domain code")
    return [
        result("transitions per second, the commands' database work replayed (4 clients, "
               "PostgreSQL)", tps, "transitions/s", baseline, why, True),
        result("CPU per command replayed: PostgreSQL backends (4 clients)", backends,
               "ms CPU/command", pgbench_cpu * 1000, why, True),
        result("CPU per command replayed: whole machine (4 clients)", whole,
               "ms CPU/command", pgbench_cpu * 1000, why, True),
    ]


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
