"""Median and 90th percentile of the time from acceptance to first contact and to closure.

PostgreSQL computes them with percentile_cont. SQLite has no percentile function, so a window
query numbers the durations and returns only the two or three rows around each percentile's
position; the same linear interpolation as percentile_cont is then done on those few values.
Either way the database sorts and counts; the situations are never fetched.
"""

from __future__ import annotations

import math
from decimal import Decimal

from sqlalchemy import ColumnElement, Integer, and_, cast, func, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from workflow.reports.model import Cell, Statistic
from workflow.reports.sql import S, dialect, hours_between
from workflow.reports.suppression import is_small, small_label

PERCENTILES = (0.5, 0.9)


def percentiles(session: Session, expr: ColumnElement[float | Decimal], where: ColumnElement[bool]
                ) -> tuple[int, dict[float, float | None]]:
    """(count, {p: percentile_cont(p)}) of a duration over the rows matching `where`."""
    if dialect(session) == "postgresql":
        # One ordered-set aggregate with an array of fractions: one sort for all percentiles.
        n, values = session.execute(
            select(func.count(expr),
                   func.percentile_cont(postgresql.array(list(PERCENTILES)))
                   .within_group(expr))
            .where(where, expr.is_not(None))).one()
        values = values or [None] * len(PERCENTILES)
        return int(n), {p: (None if v is None else float(v))
                        for p, v in zip(PERCENTILES, values, strict=True)}
    numbered = (
        select(expr.label("d"),
               (func.row_number().over(order_by=expr) - 1).label("i"),
               func.count().over().label("n"))
        .where(where, expr.is_not(None)).subquery())
    near = [and_(numbered.c.i >= cast(p * (numbered.c.n - 1), Integer) - 1,
                 numbered.c.i <= cast(p * (numbered.c.n - 1), Integer) + 1)
            for p in PERCENTILES]
    rows = session.execute(select(numbered.c.i, numbered.c.d, numbered.c.n)
                           .where(or_(*near))).all()
    if not rows:
        return 0, {p: None for p in PERCENTILES}
    n = int(rows[0][2])
    at = {int(i): float(d) for i, d, _ in rows}
    out: dict[float, float | None] = {}
    for p in PERCENTILES:
        h = p * (n - 1)
        lo = math.floor(h)
        hi = min(lo + 1, n - 1)
        out[p] = at[lo] + (h - lo) * (at[hi] - at[lo])
    return n, out


def statistic(session: Session, key: str, title: str, unit: str,
              expr: ColumnElement[float | Decimal], where: ColumnElement[bool], threshold: int
              ) -> Statistic:
    """A duration summary, hidden (count "<5", no median) when fewer than `threshold`."""
    n, values = percentiles(session, expr, where)
    shown = n >= threshold
    count = Cell(None, small_label(threshold)) if is_small(n, threshold) else Cell(n, str(n))
    return Statistic(
        key=key, title=title, unit=unit, count=count,
        median=round(values[0.5], 1) if shown and values[0.5] is not None else None,
        p90=round(values[0.9], 1) if shown and values[0.9] is not None else None,
    )


def durations(session: Session, accepted: ColumnElement[bool], closed: ColumnElement[bool],
              threshold: int) -> list[Statistic]:
    to_contact = hours_between(session, S.first_contact_at, S.accepted_at)
    to_close = hours_between(session, S.closed_at, S.accepted_at) / 24.0
    return [
        statistic(session, "to_first_contact", "Time from acceptance to first contact", "hours",
                  to_contact, and_(accepted, S.first_contact_at.is_not(None)), threshold),
        statistic(session, "to_closure", "Time from acceptance to closure", "days",
                  to_close, and_(closed, S.accepted_at.is_not(None)), threshold),
    ]
