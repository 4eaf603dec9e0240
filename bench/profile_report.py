"""Where a full report's time goes: bench_report's data at a chosen size, the report timed, its
slowest statements printed (the profile behind issue 17's report figure).

    .venv/bin/python -m bench.profile_report 200000
"""

from __future__ import annotations

from datetime import UTC, datetime

from bench import bench_report
from bench.common import situations_argument, statement_timings, timed_run
from workflow.reports import build_report, parse_period, resolve_scope
from workflow.runtime import Runtime


def profile(url: str, situations: int) -> None:
    """Load, roll up, warm once, then time one full report and list its slowest SQL."""
    bench_report._load(url, situations)
    bench_report._refresh(url)
    runtime = Runtime(database_url=url, keystore_url="sqlite://", identity_key="profile-key")
    timings = statement_timings(runtime.engine)

    def report() -> None:
        with runtime.read() as session:
            scope = resolve_scope(session, parse_period(bench_report.START, "2026-04-01"),
                                  table="BENCH")
            build_report(session, scope, now=datetime(2026, 6, 1, tzinfo=UTC))

    try:
        report()  # warm: connections, the packs, the rollups' first read
        timed_run(f"full report over {situations:,} situations", report, timings, 8)
    finally:
        runtime.dispose()


if __name__ == "__main__":
    size = situations_argument(__doc__, 200_000)
    with bench_report._fresh_database(None) as database_url:
        profile(database_url, size)
