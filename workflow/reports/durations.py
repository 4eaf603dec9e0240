"""Median and 90th percentile of the time from acceptance to first contact and to closure.

The database groups the durations into a histogram (each distinct value with how many
situations took it); the percentiles are then read off it with percentile_cont's linear
interpolation. Why a histogram: the daily rollups keep the same histograms per day, so the
percentiles from the rollups are the very same numbers, computed by the very same code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from sqlalchemy import BigInteger, ColumnElement, Double, and_, cast, func, select
from sqlalchemy.orm import Session

from workflow.reports.model import Cell, Statistic
from workflow.reports.phrase import Phrase
from workflow.reports.sql import Expr, S, dialect, hours_between
from workflow.reports.suppression import is_small, small_label

PERCENTILES = (0.5, 0.9)


def to_contact(session: Session) -> ColumnElement[float]:
    """Hours from acceptance to first contact (a double on both databases)."""
    return cast(hours_between(session, S.first_contact_at, S.accepted_at), Double)


def to_closure(session: Session) -> ColumnElement[float]:
    """Days from acceptance to closure."""
    return cast(hours_between(session, S.closed_at, S.accepted_at) / 24.0, Double)


def histogram(session: Session, expr: ColumnElement[float], where: ColumnElement[bool]
              ) -> dict[float, int]:
    """{duration: situations} over the rows matching `where` (no value: not counted)."""
    rows = session.execute(select(expr, func.count()).where(where, expr.is_not(None))
                           .group_by(expr))
    return {float(v): int(n) for v, n in rows}


def micros_between(session: Session, later: Expr, earlier: Expr) -> ColumnElement[int]:
    """Whole microseconds from `earlier` to `later`, exact on both databases (an integer), so
    a histogram keyed by it gives the very medians Python's timedelta arithmetic gives.

    SQLite: julianday keeps only milliseconds, so the seconds come from the stored text's
    "YYYY-MM-DD HH:MM:SS" part and the microseconds from its ".ffffff" part."""
    if dialect(session) == "postgresql":
        return cast(func.round(func.extract("epoch", later - earlier) * 1000000), BigInteger)
    whole = (cast(func.strftime("%s", func.substr(later, 1, 19)), BigInteger)
             - cast(func.strftime("%s", func.substr(earlier, 1, 19)), BigInteger))
    fraction = (cast(func.substr(later, 21, 6), BigInteger)
                - cast(func.substr(earlier, 21, 6), BigInteger))
    return whole * 1000000 + fraction


def micros_histogram(session: Session, later: Expr, earlier: Expr,
                     where: ColumnElement[bool]) -> dict[int, int]:
    """{microseconds: situations} from `earlier` to `later` (either missing: not counted)."""
    expr = micros_between(session, later, earlier)
    rows = session.execute(select(expr, func.count())
                           .where(where, later.is_not(None), earlier.is_not(None))
                           .group_by(expr))
    return {int(v): int(n) for v, n in rows}


def contact_where(accepted: ColumnElement[bool]) -> ColumnElement[bool]:
    return and_(accepted, S.first_contact_at.is_not(None))


def closure_where(closed: ColumnElement[bool]) -> ColumnElement[bool]:
    return and_(closed, S.accepted_at.is_not(None))


def percentiles(hist: Mapping[float, int]) -> tuple[int, dict[float, float | None]]:
    """(count, {p: percentile_cont(p)}) of the values a histogram describes."""
    values = sorted((v, n) for v, n in hist.items() if n)
    n = sum(c for _, c in values)
    if not n:
        return 0, {p: None for p in PERCENTILES}

    def at(rank: int) -> float:
        seen = 0
        for value, count in values:
            seen += count
            if rank < seen:
                return value
        return values[-1][0]

    out: dict[float, float | None] = {}
    for p in PERCENTILES:
        h = p * (n - 1)
        lo = math.floor(h)
        hi = min(lo + 1, n - 1)
        low, high = at(lo), at(hi)
        out[p] = low + (h - lo) * (high - low)
    return n, out


def statistic(key: str, title: Phrase, unit: Phrase, hist: Mapping[float, int],
              threshold: int) -> Statistic:
    """A duration summary, hidden (count "<5", no median) when fewer than `threshold`."""
    n, values = percentiles(hist)
    shown = n >= threshold
    count = Cell(None, small_label(threshold)) if is_small(n, threshold) else Cell(n, str(n))
    return Statistic(
        key=key, title=title, unit=unit, count=count,
        median=round(values[0.5], 1) if shown and values[0.5] is not None else None,
        p90=round(values[0.9], 1) if shown and values[0.9] is not None else None,
    )


def durations(session: Session, accepted: ColumnElement[bool], closed: ColumnElement[bool],
              threshold: int, *, hists: tuple[Mapping[float, int], Mapping[float, int]]
              | None = None) -> list[Statistic]:
    """The two summaries; `hists` (to contact, to closure) when already counted elsewhere."""
    if hists is None:
        hists = (histogram(session, to_contact(session), contact_where(accepted)),
                 histogram(session, to_closure(session), closure_where(closed)))
    return [
        statistic("to_first_contact", Phrase("Time from acceptance to first contact"),
                  Phrase("hours"), hists[0], threshold),
        statistic("to_closure", Phrase("Time from acceptance to closure"), Phrase("days"),
                  hists[1], threshold),
    ]

