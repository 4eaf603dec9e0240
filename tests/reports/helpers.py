"""Reading a rendered report in tests: figures as {row code: [printed cells]}."""

from __future__ import annotations

from datetime import UTC, datetime

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
