"""Benchmark 1: situations moved through the four filters to closure, per second.

Four worker processes drive the domain commands on PostgreSQL (each command one
transaction; accept also presents, submit also schedules), beside `pgbench -N` with 4 clients
on the same server in the same run. Goal (issue 17): transitions/s through the domain, 4
workers, PostgreSQL / pgbench -N 4 clients >= 0.40. The same workload on one SQLite file is
reported beside it (informative: SQLite serialises writers, and pgbench is PostgreSQL's).
Each worker keeps its three signed-in people loaded once, as a web process keeps the person a
session cookie names (webui/signed_in_cache.py), and checks at the end that every situation it
drove reached closure. Both sides are measured in their steady state: pgbench runs 10 s after
its own connections are up, and each worker first drives WARM_UP situations untimed (the
first statements a process compiles and prepares), then PER_WORKER timed ones (~5 s here).
Where the CPU goes is reported beside it (informative): per command, the workers' own Python,
their PostgreSQL backends and the whole machine over the timed loops, against the whole
machine's CPU per pgbench transaction in the same run (/proc: the server runs here).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    fresh_pg_database,
    machine_busy,
    pg_database_name,
    pgbench_run,
    process_cpu,
    result,
)
from bench.lifecycle import COMMANDS_PER_SITUATION, build_world

WORKERS = 4
PER_WORKER = 150
WARM_UP = 5
TRANSITIONS_PER_SITUATION = 9  # submit, schedule, present, accept, disclose, plan,
# report_back, close + the draft itself counts as the first write
GOAL = ("transitions/s through the domain, 4 workers, PostgreSQL / pgbench -N 4 clients "
        ">= 0.40")


def _worker(args: tuple[str, str, dict, int, mp.Queue, Any]) -> None:
    url, keystore, ids, count, queue, barrier = args
    sys.path.insert(0, "tests")
    from sqlalchemy import func, select, text

    from bench.lifecycle import Lifecycle
    from hubtable.settled import settle
    from workflow.models import Situation
    from workflow.runtime import Runtime

    rt = Runtime(url, keystore, "bench-key")
    life = Lifecycle.signed_in(rt, ids)
    steps = [command for _name, command in life.steps()]
    settle()  # as a web process does once its app is built (hubtable.webserver)
    with rt.read() as s:
        backend = (s.scalar(text("SELECT pg_backend_pid()"))
                   if s.get_bind().dialect.name == "postgresql" else None)
    commands, mine = 0, []
    start, cpu = time.perf_counter(), (0.0, 0.0, 0.0)
    for i in range(WARM_UP + count):
        if i == WARM_UP:  # every worker warm: the timed loops start together
            barrier.wait(timeout=600)
            commands, start = 0, time.perf_counter()
            cpu = _cpu(backend)
        with rt.command() as s:
            sid = life.draft(s)
        mine.append(sid)
        for command in steps:
            with rt.command() as s:
                command(s, sid)
        commands += COMMANDS_PER_SITUATION
    elapsed = time.perf_counter() - start
    used = tuple(b - a for a, b in zip(cpu, _cpu(backend), strict=True))
    with rt.read() as s:  # every situation of this worker went the whole way
        closed = s.scalar(select(func.count(Situation.id)).where(
            Situation.id.in_(mine), Situation.stage == "closed"))
    assert closed == WARM_UP + count, \
        f"{WARM_UP + count - (closed or 0)} situations did not reach closure"
    queue.put((count * TRANSITIONS_PER_SITUATION, commands, elapsed, *used))
    rt.dispose()


def _cpu(backend: int | None) -> tuple[float, float, float]:
    """CPU seconds used so far: by this process, by its PostgreSQL backend (the server runs on
    this machine), and by the whole machine."""
    return (time.process_time(), process_cpu(backend) if backend else 0.0, machine_busy())


def _drive(url: str, keystore: str, per_worker: int) -> tuple[float, float, list[float]]:
    """Four workers through the domain on `url`: (transitions/s, commands/s, CPU ms per
    command: the workers' Python, their PostgreSQL backends, the whole machine)."""
    ids = build_world(url, keystore)
    ctx = mp.get_context("spawn")
    queue, barrier = ctx.Queue(), ctx.Barrier(WORKERS)
    procs = [ctx.Process(target=_worker, args=((url, keystore, ids, per_worker, queue, barrier),))
             for _ in range(WORKERS)]
    for p in procs:
        p.start()
    outs = [queue.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    wall = max(o[2] for o in outs)  # the workers' own loops, not process start-up
    commands = sum(o[1] for o in outs)
    per_command = [sum(o[3] for o in outs) / commands * 1000,
                   sum(o[4] for o in outs) / commands * 1000,
                   max(o[5] for o in outs) / commands * 1000]  # the longest loop's window
    return sum(o[0] for o in outs) / wall, commands / wall, per_command


def run(database_url: str | None = None, *, per_worker: int = PER_WORKER) -> list[dict]:
    sys.path.insert(0, "tests")
    with fresh_pg_database("hubtable_bench_tx") as url, tempfile.TemporaryDirectory() as tmp:
        tps, cps, cpu = _drive(url, f"sqlite:///{tmp}/keys.db", per_worker)
        with fresh_pg_database("hubtable_bench_pgbench") as pgb:
            baseline, pgbench_cpu = pgbench_run(pg_database_name(pgb), clients=WORKERS)
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_tps, _, _ = _drive(f"sqlite:///{Path(tmp) / 'bench.db'}",
                                  f"sqlite:///{Path(tmp) / 'keys.db'}", per_worker)
    ratio = tps / baseline
    where = [result(f"CPU per command under load: {part} (4 workers, PostgreSQL)", ms,
                    "ms CPU/command", pgbench_cpu * 1000,
                    "informative: where a command's CPU goes, beside the whole machine's CPU "
                    "per pgbench -N transaction", True)
             for part, ms in zip(("Python", "PostgreSQL backends", "whole machine"), cpu,
                                 strict=True)]
    return [
        result("transitions per second (4 workers, PostgreSQL)", tps, "transitions/s", baseline,
               GOAL, ratio >= 0.4),
        result("commands per second (4 workers, PostgreSQL)", cps, "commands/s",
               baseline, "informative: a command may make several transitions", True),
        result("transitions per second (4 workers, SQLite file)", sqlite_tps, "transitions/s",
               baseline, "informative: SQLite beside the same run's pgbench -N 4 clients",
               True),
        *where,
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-worker", type=int, default=PER_WORKER)
    print(json.dumps(run(per_worker=parser.parse_args().per_worker), indent=2))
