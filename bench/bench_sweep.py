"""The timer sweep over 1,000,000 situations with 1% due, beside one indexed count of the due.

Why the baseline: the sweep must cost what the due deadlines cost, not what the history costs.
A `count(*)` of the due rows reads the same partial index (`ix_deadlines_pending`) that the
sweep's claim reads, so "sweep / count" says how much the sweep adds on top of finding the
work; and a second sweep, with nothing left to do, must cost about what that count costs
whatever the number of situations.

Setup (bulk SQL, not the domain's commands, to make a million rows in seconds): one Ontario
table; 99% of the situations closed long ago with their deadlines met and their follow-up
answered and settled by earlier sweeps (history: nothing in it is due), 1% in intervention
with a report-back deadline that passed yesterday. HUBTABLE_BENCH_SWEEP_SITUATIONS changes the size.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import bindparam, create_engine, text

from bench.common import fresh_pg_database, result
from workflow import directory, sweep
from workflow.models import Base, utcnow
from workflow.models.base import UTCDateTime
from workflow.runtime import Runtime

SITUATIONS = int(os.environ.get("HUBTABLE_BENCH_SWEEP_SITUATIONS", "1000000"))
DUE_EVERY = 100  # 1% due

_SITUATIONS_SQL = """
INSERT INTO situations (id, ref, table_id, originating_agency_id, lead_agency_id, stage, version,
    situation_type, age_group, gender, summary, persons_count, taxonomy_version, created_at,
    updated_at, accepted_at, decided_at, closed_at, conclusion_reason, follow_up_settled)
SELECT g, 'BENCH-' || g, :table_id, :agency_id, :agency_id,
    CASE WHEN g % {every} = 0 THEN 'intervention' ELSE 'closed' END, 1,
    'person', '25-29', 'female', '', 1, '2026.1', :old, :old, :old, :old,
    CASE WHEN g % {every} = 0 THEN NULL ELSE :old END,
    CASE WHEN g % {every} = 0 THEN NULL ELSE 'lowered_connected' END,
    g % {every} <> 0
FROM {series}
"""
_DEADLINES_SQL = """
INSERT INTO deadlines (situation_id, kind, due_at, rule_id, met_at, created_at)
SELECT g, 'report_back', CASE WHEN g % {every} = 0 THEN :yesterday ELSE :old END,
    'intervention.report_back', CASE WHEN g % {every} = 0 THEN NULL ELSE :old END, :old
FROM {series}
"""

_FOLLOW_UPS_SQL = """
INSERT INTO follow_ups (situation_id, table_id, lead_agency_id, due_at, reminders_sent, answer,
    answered_at)
SELECT g, :table_id, :agency_id, :old, 0, 'yes', :old
FROM {series} WHERE g % {every} <> 0
"""


def _series(dialect: str) -> tuple[str, str]:
    if dialect == "postgresql":
        return "", "generate_series(1, :n) AS s(g)"
    return ("WITH RECURSIVE seq(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < :n) ",
            "seq")


def populate(runtime: Runtime, n: int) -> None:
    with runtime.command() as s:
        table = directory.create_table(s, code="BENCH", name="Bench table", country="CA",
                                       subdivision="ON", timezone="America/Toronto")
        agency = directory.create_agency(s, slug="bench-police", name="Police",
                                         sector="police", contact_email="p@bench.test",
                                         table_ids=[table.id])
        table_id, agency_id = table.id, agency.id
    now = utcnow()
    dialect = runtime.engine.dialect.name
    prefix, series = _series(dialect)
    params = {"n": n, "table_id": table_id, "agency_id": agency_id,
              "old": now - timedelta(days=400), "yesterday": now - timedelta(days=1)}
    with runtime.engine.begin() as conn:
        for sql in (_SITUATIONS_SQL, _DEADLINES_SQL, _FOLLOW_UPS_SQL):
            source = prefix + sql.format(every=DUE_EVERY, series=series)
            times = [bindparam(k, type_=UTCDateTime()) for k in ("old", "yesterday")
                     if f":{k}" in source]
            conn.execute(text(source).bindparams(*times),
                         {k: v for k, v in params.items() if f":{k}" in source})
        if dialect == "postgresql":
            conn.execute(text("SELECT setval('situations_id_seq', :n)"), {"n": n})
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))


def measure(url: str, n: int) -> list[dict]:
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    with tempfile.TemporaryDirectory() as keys:
        runtime = Runtime(database_url=url, keystore_url=f"sqlite:///{Path(keys) / 'k.db'}",
                          identity_key="bench")
        try:
            populate(runtime, n)
            with runtime.read() as s:
                sweep.count_due(s)  # warm: connection and page cache, as for the sweep
                start = time.perf_counter()
                due = sweep.count_due(s)
                count_s = time.perf_counter() - start
            start = time.perf_counter()
            report = sweep.sweep(runtime)
            sweep_s = time.perf_counter() - start
            start = time.perf_counter()
            idle = sweep.sweep(runtime)
            idle_s = time.perf_counter() - start
        finally:
            runtime.dispose()
    assert report.overdue == due == n // DUE_EVERY, (report, due)
    assert idle.overdue == 0 and idle.fired == 0
    backend = url.split(":", 1)[0].split("+")[0]
    per_due_ms = sweep_s / max(due, 1) * 1000
    label = f"{n:,} situations, {due:,} due, {backend}"
    return [
        result(f"sweep, {label}", sweep_s, "s", count_s,
               "< 25 ms per due deadline (rule fired, outbox written)", per_due_ms < 25,
               ratio=sweep_s / count_s if count_s else 0.0),
        result(f"sweep per due deadline, {backend}", per_due_ms, "ms", count_s * 1000,
               "< 25 ms", per_due_ms < 25),
        result(f"second sweep (nothing due), {label}", idle_s, "s", count_s,
               "< 1 s: no cost per situation", idle_s < 1.0),
    ]


def run(database_url: str | None) -> list[dict]:
    if database_url is None:
        with tempfile.TemporaryDirectory() as tmp:
            return measure(f"sqlite:///{Path(tmp) / 'bench.db'}", SITUATIONS)
    with fresh_pg_database("hubtable_bench_sweep") as url:
        return measure(url, SITUATIONS)


if __name__ == "__main__":
    import json
    import sys

    from bench.common import PG_URL

    print(json.dumps(run(PG_URL if sys.argv[1:] == ["postgresql"] else None), indent=2))
