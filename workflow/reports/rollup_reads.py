"""The report's counts read back from the daily and monthly rollups, with the days changed
since the last refresh grouped live from the situations (see workflow/reports/rollups.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, true
from sqlalchemy.orm import Session

from workflow.models import ReportRollupState
from workflow.reference import load_catalog
from workflow.reports.counts import Counts
from workflow.reports.durations import (
    closure_where,
    contact_where,
    histogram,
    to_closure,
    to_contact,
)
from workflow.reports.figures import FigureBuilder
from workflow.reports.rollup_days import (
    A_SPLITS,
    C_SPLITS,
    DM,
    DUE_FORMAT,
    P_SPLITS,
    RM,
    ROLLUP_VERSION,
    STATE_ID,
    CountsTable,
    D,
    Days,
    DurationsTable,
    R,
    RollupTable,
    Where,
    changed_days,
    first_of_month,
    in_days,
    month_of_day,
)
from workflow.reports.rollup_measures import live_measures
from workflow.reports.scope import Scope
from workflow.reports.sql import Cohorts, S


def _full_months(scope: Scope) -> tuple[date, date] | None:
    """The calendar months wholly inside the period, as [first, end), if any."""
    start, end = scope.period.start, scope.period.end
    first = start if start.day == 1 else first_of_month(start, 1)
    last = first_of_month(end)
    return (first, last) if first < last else None


def _parts(scope: Scope, skip: Days) -> list[tuple[CountsTable, DurationsTable, Where]]:
    """Where each part of the period is read: (counts table, durations table, conditions on
    either). Whole months without a dirty day from the monthly rows, the rest from the daily
    rows (as index ranges), leaving out the dirty days (grouped live instead)."""
    start, end = scope.period.start, scope.period.end
    dirty_months = skip.months()
    full = _full_months(scope)

    def clean(table: RollupTable, days: Days) -> ColumnElement[bool]:
        return ~days.rollup_rows(table) if days.ranges else true()

    def daily(table: RollupTable) -> list[ColumnElement[bool]]:
        in_scope = table.table_id.in_(scope.table_ids)
        if full is None:
            ranges = [and_(in_scope, table.day >= start, table.day < end)]
        else:
            ranges = [and_(in_scope, table.day >= lo, table.day < hi)
                      for lo, hi in ((start, full[0]), (full[1], end)) if lo < hi]
            ranges += [and_(table.table_id == t, table.day >= max(lo, start),
                            table.day < min(hi, end))
                       for t, lo, hi in dirty_months.ranges if t in scope.table_ids]
        return [or_(*ranges), clean(table, skip)] if ranges else [false()]

    parts: list[tuple[CountsTable, DurationsTable, Where]] = []
    if full is not None:
        parts.append((RM, DM, lambda t: [t.table_id.in_(scope.table_ids), t.day >= full[0],
                                         t.day < full[1], clean(t, dirty_months)]))
    has_days = full is None or start < full[0] or full[1] < end or any(
        t in scope.table_ids for t, _, _ in dirty_months.ranges)
    if has_days:
        parts.append((R, D, daily))
    return parts


class _Sums:
    """The rollup rows of a report, summed by what the figures read (see rollups.py and
    rollup_measures.py for the kinds)."""

    def __init__(self) -> None:
        self.lowered = {c for c, item in load_catalog().conclusion_reasons.items()
                        if item.outcome == "risk_lowered"}
        self.p: dict[str, dict[tuple[Any, ...], int]] = {s: {} for s in (*P_SPLITS, "month")}
        self.a: dict[str, dict[object, list[int]]] = {s: {} for s in A_SPLITS}
        self.c: dict[str, dict[object, list[int]]] = {
            s: {} for s in (*C_SPLITS, "conclusion", "closed_month")}
        self.out = Counts()

    def add(self, kind: str, value: str, sub: str, m: int, n: int,
            measures: tuple[int, int, int]) -> None:
        group, _, split = kind.partition(":")
        month_code = f"{m // 100:04d}-{m % 100:02d}"
        out = self.out
        if kind == "p:all":
            self.p["month"][(month_code, sub)] = self.p["month"].get((month_code, sub), 0) + n
        elif group == "p":
            code = int(value) if split == "re_presented" else value
            self.p[split][(code, sub)] = self.p[split].get((code, sub), 0) + n
        elif group in ("a", "q"):
            acc = self.a[split].setdefault(value, [0, 0, 0, 0])
            if group == "a":
                for i, v in enumerate((n, *measures)):
                    acc[i] += int(v)
            else:
                acc[2] += n  # due before "as of", not made: due, not on time
        elif group == "c":
            low = n if sub in self.lowered else 0
            keys = ([("conclusion", sub), ("closed_month", month_code)] if split == "all"
                    else [(split, value)])
            for name, key in keys:
                acc = self.c[name].setdefault(key, [0, 0])
                acc[0] += n
                acc[1] += low
        elif group == "e":  # sub is the decision: the accepted count among the presented
            for cohort in ("presented", "accepted") if sub == "accepted" else ("presented",):
                answer = (split, value, cohort)
                out.equity[answer] = out.equity.get(answer, 0) + n
        elif kind == "u:answer":
            if sub in self.lowered:
                out.follow_up[value] = out.follow_up.get(value, 0) + n
        else:
            target = {"f:category": out.categories, "f:factor": out.factors,
                      "s:assist": out.assisting}.get(kind)
            if target is not None:
                target[value] = target.get(value, 0) + n

    def add_duration(self, measure: str, duration: float, n: int) -> None:
        out = self.out
        if measure in ("decision_us", "contact_us"):
            micros = out.decision_us if measure == "decision_us" else out.contact_us
            micros[int(duration)] = micros.get(int(duration), 0) + n
        else:
            target = out.to_contact if measure == "to_contact" else out.to_closure
            target[float(duration)] = target.get(float(duration), 0) + n

    def counts(self) -> Counts:
        out = self.out
        out.presented = {s: [(*k, v) for k, v in d.items()] for s, d in self.p.items()}
        out.accepted = {s: [(k, *v) for k, v in d.items()] for s, d in self.a.items()}
        out.closed = {s: [(k, *v) for k, v in d.items()] for s, d in self.c.items()}
        return out


def _from_rollups(session: Session, scope: Scope, as_of: datetime, skip: Days) -> Counts:
    """The scope's counts summed from the rollups, leaving out the `skip` days."""
    due_before = as_of.astimezone(UTC).strftime(DUE_FORMAT)
    sums = _Sums()
    for counts, durations, where in _parts(scope, skip):
        # Only the whole cohorts are needed per month: the splits are summed over the period.
        month = case((counts.kind.in_(("p:all", "c:all")), month_of_day(session, counts.day)),
                     else_=0)
        rows = session.execute(
            select(counts.kind, counts.value, counts.sub, month, func.sum(counts.n),
                   func.sum(counts.helped), func.sum(counts.contacted),
                   func.sum(counts.on_time))
            .where(*where(counts), or_(~counts.kind.startswith("q:"), counts.sub < due_before))
            .group_by(counts.kind, counts.value, counts.sub, month))
        for kind, value, sub, m, n, helped, contacted, on_time in rows:
            sums.add(kind, value, sub, int(m), int(n), (helped, contacted, on_time))
        for measure, duration, n in session.execute(
                select(durations.measure, durations.duration, func.sum(durations.n))
                .where(*where(durations)).group_by(durations.measure, durations.duration)):
            sums.add_duration(measure, duration, int(n))
    return sums.counts()


def _live(session: Session, scope: Scope, now: datetime, days: Days) -> Counts:
    """The counts of the situations presented or closed on `days`, grouped from the
    situations themselves by the raw report's own queries."""
    fb = FigureBuilder(session, scope, now=now)
    cohorts = Cohorts(scope)
    cohorts.presented = and_(cohorts.presented, in_days(session, S.presented_at, days))
    cohorts.accepted = and_(cohorts.presented, S.accepted_at.is_not(None))
    cohorts.closed = and_(cohorts.closed, in_days(session, S.closed_at, days))
    fb.cohorts = cohorts
    fb.presented_breakdowns()
    fb.cohort_breakdowns()
    categories, factors = fb._factor_counts()
    return Counts(
        presented=fb._presented, accepted=fb.accepted_rows, closed=fb.closed_rows,
        categories=categories, factors=factors, assisting=fb._assisting_counts(),
        to_contact=histogram(session, to_contact(session), contact_where(cohorts.accepted)),
        to_closure=histogram(session, to_closure(session), closure_where(cohorts.closed)),
    ) + live_measures(session, cohorts)


def report_counts(session: Session, scope: Scope, now: datetime) -> Counts | None:
    """The scope's counts from the rollups plus the dirty days live; None when the rollups
    were never built, or built as another ROLLUP_VERSION (the report then groups the
    situations itself)."""
    state = session.get(ReportRollupState, STATE_ID)
    if state is None or state.version != ROLLUP_VERSION:
        return None
    start, end = scope.period.bounds()
    as_of = min(end, now)
    dirty = changed_days(session, state, scope.table_ids)
    counts = _from_rollups(session, scope, as_of, dirty)
    if dirty.ranges:
        counts = counts + _live(session, scope, now, dirty)
    return counts
