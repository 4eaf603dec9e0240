"""Where an idle sweep's time goes: bench_sweep's data at a chosen size, swept once (the work
that was due), then swept again with nothing due, its statements timed and the slowest printed
(the profile behind issue 17's "second sweep" figure: it must not grow with the history).

    .venv/bin/python -m bench.profile_sweep 500000
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import create_engine

from bench import bench_sweep
from bench.common import fresh_pg_database, situations_argument, statement_timings, timed_run
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
        timings = statement_timings(runtime.engine)
        timed_run(f"idle sweep over {situations:,} situations", lambda: sweep.sweep(runtime),
                  timings, 6)
    finally:
        runtime.dispose()


if __name__ == "__main__":
    size = situations_argument(__doc__, 200_000)
    with fresh_pg_database("hubtable_profile_sweep") as database_url, \
            tempfile.TemporaryDirectory() as tmp:
        profile(database_url, size, Path(tmp))
