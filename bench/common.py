"""What every benchmark shares: the machine's description, fresh databases, the result shape."""

from __future__ import annotations

import os
import platform
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event, text

from hubtable.config import normalise_database_url

PG_URL = normalise_database_url(os.environ.get("HUBTABLE_BENCH_PG_URL",
                                               "postgresql://postgres@127.0.0.1:5432/postgres"))


def machine() -> str:
    cpu = "unknown cpu"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    pg = "PostgreSQL ?"
    try:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            pg = "PostgreSQL " + str(conn.execute(text("SHOW server_version")).scalar())
        engine.dispose()
    except Exception:  # noqa: BLE001 - a description only
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu}), {mem_gib:.0f} GiB, {pg}, "
            f"Python {platform.python_version()}")


@contextmanager
def fresh_pg_database(prefix: str, *, copy_of: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database for one benchmark (empty, or a copy of the database at
    `copy_of`, which nothing may be connected to), dropped afterwards whatever happens."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    template = f' TEMPLATE "{pg_database_name(copy_of)}"' if copy_of else ""
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{template}'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def pg_database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def pgbench_run(database: str, *, clients: int = 4, seconds: int = 10, scale: int = 10
                ) -> tuple[float, float]:
    """`pgbench -N` (no-branch-updates TPC-B) on a scratch database, the server's ceiling:
    (transactions/s, CPU seconds the machine was busy per transaction)."""
    base = ["-h", "127.0.0.1", "-U", "postgres"]
    subprocess.run(["pgbench", *base, "-i", "-q", "-s", str(scale), database], check=True,
                   capture_output=True)
    busy = machine_busy()
    out = subprocess.run(["pgbench", *base, "-N", "-c", str(clients), "-j", str(clients),
                          "-T", str(seconds), database], check=True, capture_output=True,
                         text=True).stdout
    busy = machine_busy() - busy
    found = {line.split(":")[0]: line.split(":", 1)[1] for line in out.splitlines()
             if ":" in line}
    done = int(found["number of transactions actually processed"].split("/")[0])
    for line in out.splitlines():
        if line.startswith("tps"):
            return float(line.split("=")[1].split()[0]), busy / max(done, 1)
    raise RuntimeError("pgbench printed no tps line")


def machine_busy() -> float:
    """CPU seconds this machine has been busy since boot, all processes (/proc/stat): over a
    window where one workload runs alone, what that workload cost."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # not idle, iowait


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process on this machine has used: a PostgreSQL backend."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def result(name: str, value: float, unit: str, baseline: float, goal: str,
           met: bool, *, ratio: float | None = None) -> dict:
    if ratio is None:
        ratio = value / baseline if baseline else 0.0
    return {"name": name, "value": round(value, 4), "unit": unit,
            "baseline": round(baseline, 4), "ratio": round(ratio, 4), "goal": goal,
            "met": bool(met)}


def statement_timings(engine: Any) -> list[tuple[float, str]]:
    """Every statement the engine sends from now on, timed: (seconds, its first 200
    characters), for the profiles behind the benchmarks' figures."""
    timings: list[tuple[float, str]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn: Any, *args: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _stop(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        timings.append((time.perf_counter() - conn.info["bench_started"],
                        " ".join(statement.split())[:200]))

    return timings


def timed_run(label: str, run: Any, timings: list[tuple[float, str]], slowest: int) -> None:
    """Run `run()` once with `timings` emptied, then print its wall time, the SQL time and
    count, and its `slowest` statements, slowest first: a profile's one measured pass."""
    timings.clear()
    started = time.perf_counter()
    run()
    print(f"{label}: {(time.perf_counter() - started) * 1000:.0f} ms, "
          f"SQL {sum(t for t, _ in timings) * 1000:.0f} ms in {len(timings)} statements")
    for seconds, statement in sorted(timings, reverse=True)[:slowest]:
        print(f"{seconds * 1000:8.1f} ms  {statement}")


def situations_argument(doc: str | None, default: int) -> int:
    """A profile's one argument, the number of situations: a clear one-line error if it is not
    a positive whole number."""
    import argparse

    def positive(text: str) -> int:
        try:
            value = int(text.replace(",", "").replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError("at least 1 situation")
        return value

    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("situations", nargs="?", type=positive, default=default)
    return int(parser.parse_args().situations)

