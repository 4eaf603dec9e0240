"""Benchmark: the full de-identified outcome report over 1,000,000 closed situations.

In one run: create a fresh PostgreSQL database (hubtable_bench_report), bulk-insert N closed
situations with three risk factors, a lead, an assisting agency and a service each (INSERT ...
SELECT over generate_series, so loading takes minutes), then rebuild the report's daily rollups
(what every bulk load ends with), then time building the whole report (every figure,
durations, indicators, equity lens, suppression) for the full period and for one month, beside
one `SELECT count(*)` over the same table (the baseline: the cheapest possible full scan).
The ratio says how many full scans' worth of work the report costs. The database
is dropped at the end, whatever happens.

    .venv/bin/python -m bench.bench_report [--database-url URL] [--situations N]

`run(database_url)` is what the bench runner calls: a PostgreSQL server URL (any database on
it; None means the local server at 127.0.0.1:5432). The report is PostgreSQL-only here: SQLite
is not where a million situations would live.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, create_engine, make_url, text
from sqlalchemy.orm import Session

from hubtable.config import normalise_database_url
from workflow.models import Base
from workflow.reference import Catalog, load_catalog
from workflow.reports import (
    build_report,
    month_period,
    parse_period,
    refresh_rollups,
    resolve_scope,
)
from workflow.runtime import Runtime

SITUATIONS = 1_000_000
DATABASE = "hubtable_bench_report"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
# The report reads the daily rollups (refreshed at the end of the load, as every bulk load
# does) plus the days changed since, grouped live: it should cost no more than five count(*)s.
GOAL_RATIO = 5.0
GOAL = f"<= {GOAL_RATIO:g}x"
SECTORS = ("police", "child_protection", "education", "health", "mental_health", "housing",
           "social_services", "youth_services")
START = "2024-01-01"


@contextmanager
def _fresh_database(server_url: str | None) -> Iterator[str]:
    url = make_url(normalise_database_url(server_url or DEFAULT_SERVER))
    if url.get_backend_name() != "postgresql":
        raise SystemExit("bench_report needs a PostgreSQL server URL")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    try:
        yield url.set(database=DATABASE).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        admin.dispose()


def _array(values: list[str] | tuple[str, ...]) -> str:
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]"


def _load(url: str, n: int) -> None:
    """The schema, one table with agencies of several sectors, and n closed situations."""
    catalog = load_catalog()
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        _directory(conn)
        _situations(conn, catalog, n)
        _details(conn, catalog, n)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def _directory(conn: Connection) -> None:
    """The bench table and one agency per sector."""
    conn.execute(text(
        "INSERT INTO tables (id, code, name, country, region, language, timezone, "
        "meeting_weekday, meeting_time, meeting_place, retention_days, "
        "small_cell_threshold, rule_pack_name, rule_pack_version, targets, created_at) "
        "VALUES (1, 'BENCH', 'Bench table', 'CA', 'Bench', 'en', 'UTC', 1, '10:00', '', "
        "90, 5, 'ontario-four-filter', '1.0', '{}', now())"))
    for i, sector in enumerate(SECTORS, start=1):
        conn.execute(text(
            "INSERT INTO agencies (id, slug, name, sector, contact_email, language, active, "
            "created_at) VALUES (:i, :slug, :name, :sector, '', 'en', true, now())"),
            {"i": i, "slug": f"bench-{sector}", "name": f"Bench {sector}",
             "sector": sector})


def _situations(conn: Connection, catalog: Catalog, n: int) -> None:
    """n closed situations over two years, their codes spread evenly (generate_series)."""
    na = len(SECTORS)
    ages, genders = list(catalog.age_groups), ["female", "male", "other", "unknown"]
    conclusions = list(catalog.conclusion_reasons)
    helps = list(catalog.help_sources)
    conn.execute(text(f"""
        INSERT INTO situations (id, ref, table_id, originating_agency_id, stage, version,
          situation_type, age_group, gender, summary, persons_count, taxonomy_version,
          help_source, lead_agency_id, first_contact_due, first_contact_at,
          conclusion_reason, created_at, submitted_at, presented_at, decided_at,
          accepted_at, closed_at, updated_at)
        SELECT g, 'BENCH-' || g, 1, 1 + g % {na}, 'closed', 1,
          ({_array(['person', 'family', 'dwelling', 'neighbourhood'])})[1 + (g * 7) % 4],
          ({_array(ages)})[1 + (g * 13) % {len(ages)}],
          ({_array(genders)})[1 + (g * 17) % {len(genders)}],
          '', 1, '{catalog.version}',
          CASE WHEN g % 3 = 0 THEN NULL
               ELSE ({_array(helps)})[1 + (g * 5) % {len(helps)}] END,
          1 + (g + 3) % {na},
          b + interval '2 days', b + ((g * 31) % 96) * interval '1 hour',
          ({_array(conclusions)})[1 + (g * 11) % {len(conclusions)}],
          b, b, b, b, b, b + (5 + g % 60) * interval '1 day', b
        FROM (SELECT g, timestamptz '{START} 00:00+00' + (g % 730) * interval '1 day'
                     + (g % 1440) * interval '1 minute' AS b
              FROM generate_series(1, {n}) AS g) AS s"""))


def _details(conn: Connection, catalog: Catalog, n: int) -> None:
    """Three risk factors, a lead and an assisting agency, and services per situation."""
    na = len(SECTORS)
    factors = sorted(catalog.factors)
    step = len(factors) // 3
    values = ",".join(f"({i}, '{code}', '{catalog.category_of(code)}')"
                      for i, code in enumerate(factors))
    conn.execute(text(f"""
        INSERT INTO situation_risk_factors (situation_id, factor_code, category_code,
                                            is_aer_reason)
        SELECT g, f.code, f.cat, k = 1
        FROM generate_series(1, {n}) AS g CROSS JOIN generate_series(1, 3) AS k
        JOIN (VALUES {values}) AS f(i, code, cat) ON f.i = (g * 7 + k * {step})
                                                         % {len(factors)}"""))
    conn.execute(text(f"""
        INSERT INTO involvements (situation_id, agency_id, role)
        SELECT g, 1 + (g + 3) % {na}, 'lead' FROM generate_series(1, {n}) AS g
        UNION ALL
        SELECT g, 1 + (g + 4) % {na}, 'assisting' FROM generate_series(1, {n}) AS g"""))
    services = list(catalog.services)
    conn.execute(text(f"""
        INSERT INTO situation_services (situation_id, service_code)
        SELECT g, ({_array(services)})[1 + g % {len(services)}]
        FROM generate_series(1, {n}) AS g WHERE g % 4 <> 0"""))


def _refresh(url: str) -> float:
    """The bulk load's last step: the report's daily rollups, rebuilt set-based."""
    engine = create_engine(url)
    start = time.perf_counter()
    with Session(engine) as session, session.begin():
        refresh_rollups(session)
    seconds = time.perf_counter() - start
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE report_rollups"))
        conn.execute(text("VACUUM ANALYZE report_duration_rollups"))
    engine.dispose()
    return seconds


def _best(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run(database_url: str | None = None, *, situations: int = SITUATIONS) -> list[dict]:
    """Load `situations` closed situations and time the report against count(*)."""
    with _fresh_database(database_url) as url:
        load_start = time.perf_counter()
        _load(url, situations)
        load_seconds = time.perf_counter() - load_start
        refresh_seconds = _refresh(url)
        runtime = Runtime(database_url=url, keystore_url="sqlite://",
                          identity_key="bench-master-key")
        try:
            def count() -> None:
                with runtime.read() as s:
                    s.execute(text("SELECT count(*) FROM situations")).scalar_one()

            def report(period_of: Callable[[], object]) -> Callable[[], None]:
                def build() -> None:
                    with runtime.read() as s:
                        scope = resolve_scope(s, period_of(), table="BENCH")  # type: ignore[arg-type]
                        build_report(s, scope, now=datetime(2026, 6, 1, tzinfo=UTC))
                return build

            count()   # warm the cache the same way for both
            baseline = _best(count, 5)
            full_period = report(lambda: parse_period(START, "2026-04-01"))
            first = _best(full_period, 1)
            whole = _best(full_period, 3)
            month = _best(report(lambda: month_period("2025-06")), 3)
        finally:
            runtime.dispose()
    results = []
    for name, value in ((f"full outcome report, {situations:,} closed situations over 27 "
                         "months (PostgreSQL)", whole),
                        (f"one month's outcome report among {situations:,} closed situations "
                         "(PostgreSQL)", month)):
        ratio = value / baseline
        results.append({
            "name": name, "value": round(value, 3), "unit": "s",
            "baseline": round(baseline, 4), "ratio": round(ratio, 1),
            "goal": GOAL,
            "met": ratio <= GOAL_RATIO,
        })
    # Informational (the load is set-up, not the thing measured): minutes, not hours.
    print(f"bench_report: loaded {situations:,} situations in {load_seconds:.0f} s, rollups "
          f"rebuilt in {refresh_seconds:.1f} s; first full report {first * 1000:.0f} ms, best "
          f"{whole * 1000:.0f} ms, count(*) {baseline * 1000:.1f} ms", file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None,
                        help=f"PostgreSQL server URL (default {DEFAULT_SERVER}); a database "
                             f"{DATABASE} is created there and dropped afterwards")
    parser.add_argument("--situations", type=int, default=SITUATIONS)
    args = parser.parse_args()
    if args.situations < 1:
        parser.error("--situations must be at least 1")
    print(json.dumps(run(args.database_url, situations=args.situations), indent=2))


if __name__ == "__main__":
    main()
