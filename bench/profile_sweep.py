"""Where an idle sweep's time goes: bench_sweep's data at a chosen size, swept once (the work
that was due), then swept again with nothing due, its statements timed and the slowest printed
(the profile behind issue 17's "second sweep" figure: it must not grow with the history).

    .venv/bin/python -m bench.profile_sweep 500000
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event

from bench import bench_sweep
from bench.common import fresh_pg_database
from workflow import sweep
from workflow.models import Base
from workflow.runtime import Runtime


def profile(url: str, situations: int, keys: Path) -> None:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    runtime = Runtime(database_url=url, keystore_url=f"sqlite:///{keys / 'k.db'}",
                      identity_key="profile")
    try:
        bench_sweep.populate(runtime, situations)
        sweep.sweep(runtime)  # the due work, and the first look at every closure
        timings: list[tuple[float, str]] = []

        @event.listens_for(runtime.engine, "before_cursor_execute")
        def _start(conn: Any, *args: Any) -> None:
            conn.info["started"] = time.perf_counter()

        @event.listens_for(runtime.engine, "after_cursor_execute")
        def _stop(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            timings.append((time.perf_counter() - conn.info["started"],
                            " ".join(statement.split())[:200]))

        started = time.perf_counter()
        sweep.sweep(runtime)
        print(f"idle sweep over {situations:,} situations: "
              f"{(time.perf_counter() - started) * 1000:.0f} ms in {len(timings)} statements")
        for seconds, statement in sorted(timings, reverse=True)[:6]:
            print(f"{seconds * 1000:8.1f} ms  {statement}")
    finally:
        runtime.dispose()


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    with fresh_pg_database("hubtable_profile_sweep") as database_url, \
            tempfile.TemporaryDirectory() as tmp:
        profile(database_url, size, Path(tmp))
