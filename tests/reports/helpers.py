"""Reading a rendered report in tests: figures as {row code: [printed cells]}."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from workflow.models import StoredReport
from workflow.reports import build_report, parse_period, resolve_scope

AS_OF = datetime(2026, 3, 5, tzinfo=UTC)


def report(world, *, start="2026-01-01", end="2026-03-01", table="PEEL", region=None,
           actor=None):
    with world.runtime.read() as s:
        scope = resolve_scope(s, parse_period(start, end), table=table, region=region,
                              actor=actor)
        return build_report(s, scope, now=AS_OF)


def grid(rep, key: str, *, keep_zero_rows: bool = False) -> dict[str, list[str]]:
    """Printed cells by row code, the total row under "total"; all-zero rows left out."""
    fig = rep.figure(key)
    out = {}
    for row in fig.rows + ([fig.total] if fig.total else []):
        texts = [c.text for c in row["cells"]]
        if keep_zero_rows or any(t not in ("0", "no data") for t in texts):
            out[str(row["code"])] = texts
    return out


def drop_from_stored_scope(world, period: str, key: str) -> None:
    """Take `key` out of the scope of PEEL's stored report of `period`: a body as an older
    version stored it."""
    with world.runtime.command() as s:
        row = s.scalar(select(StoredReport).where(StoredReport.table_id == world.table_id,
                                                  StoredReport.period == period))
        row.body = {**row.body, "scope": {k: v for k, v in row.body["scope"].items()
                                          if k != key}}
