"""Daily rollups of the report: built with set-based INSERT ... SELECT ... GROUP BY, refreshed
for the days that changed, and read back as the report's counts with those days computed live.

Why: grouping a million situations (and three million risk factors) for every report costs
hundreds of full scans; summing a few hundred rows per day costs about one. Exactness comes
from the state row (workflow.models.rollups): a situation created (id above the mark) or
updated (updated_at at or after the watermark) since the last refresh makes its presented and
closed days dirty; those days are left out of the rollups and grouped live from the
situations, with the very queries the raw report uses. No command writes anything extra: the
dirty days are found through the index on situations.updated_at.

Kinds of rows (all per table and day; the day is the presented day, or the closed day for the
closed cohort "c:" and the closure durations):
- "p:<split>": presented cohort, value = code, sub = decision;
- "a:<split>": accepted cohort, with the indicator measures;
- "q:<split>": accepted situations whose first contact is due but not made, sub = the due
  time (the report counts those due before its "as of" time, which moves);
- "c:<split>": closed cohort, sub = conclusion reason (risk lowered is read from the catalog);
- "p:all", "c:all": the whole presented and closed cohorts (read per month for the trends);
- "f:category", "f:factor", "s:assist": risk categories, factors, assisting sectors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session, aliased

from workflow.models import (
    Agency,
    Involvement,
    ReportDurationRollup,
    ReportDurationRollupMonth,
    ReportRollup,
    ReportRollupMonth,
    ReportRollupState,
    SituationRiskFactor,
    SituationService,
    utcnow,
)
from workflow.reference import load_catalog
from workflow.reports.counts import Counts
from workflow.reports.durations import (
    closure_where,
    contact_where,
    histogram,
    to_closure,
    to_contact,
)
from workflow.reports.figures import FigureBuilder, lead_sector, presented_dims
from workflow.reports.scope import Scope
from workflow.reports.sql import Cohorts, S, decision, dialect

R, D = ReportRollup, ReportDurationRollup
RM, DM = ReportRollupMonth, ReportDurationRollupMonth
#: Changes stamped this long before the refresh started (or before the oldest transaction
#: then in flight, on PostgreSQL) are taken as seen by it; later ones leave their days dirty.
#: It covers a command's clock read before its transaction began, and clock skew.
MARGIN = timedelta(minutes=1)
#: More dirty days than this: one set-based rebuild of everything is cheaper than many ranges.
FULL_ABOVE_DAYS = 60
STATE_ID = 1
P_SPLITS = ("age_group", "gender", "situation_type", "origin_sector", "help_source",
            "re_presented", "rejection")
A_SPLITS = ("age_group", "gender", "lead_sector")
C_SPLITS = ("age_group", "gender")
#: Stored due times sort as text: "YYYY-MM-DD HH:MM:SS.ffffff" in UTC on both databases.
DUE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


# -- SQL pieces ---------------------------------------------------------------------------
def day_of(session: Session, column: ColumnElement) -> ColumnElement[date]:
    """The UTC calendar day of a datetime column."""
    if dialect(session) == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def _month_of_day(session: Session, column: ColumnElement) -> ColumnElement[int]:
    """year * 100 + month of a date column (a number groups faster than text)."""
    if dialect(session) == "postgresql":
        return cast(func.extract("year", column) * 100 + func.extract("month", column), Integer)
    return cast(func.strftime("%Y%m", column), Integer)


def _due_text(session: Session) -> ColumnElement[str]:
    if dialect(session) == "postgresql":
        return func.to_char(func.timezone("UTC", S.first_contact_due),
                            literal("YYYY-MM-DD HH24:MI:SS.US"))
    # SQLite keeps datetimes as this very text (SQLAlchemy's storage format).
    return cast(S.first_contact_due, String)


def _month_start(session: Session, column: ColumnElement) -> ColumnElement[date]:
    if dialect(session) == "postgresql":
        return cast(func.date_trunc("month", column), Date)
    return func.date(column, "start of month")


def _first_of_month(day: date, shift: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _in_days(session: Session, column: ColumnElement, days: Days | None
             ) -> ColumnElement[bool]:
    """Situations whose `column` falls on one of `days` (None: any day)."""
    if days is None:
        return column.is_not(None)
    if not days.ranges:
        return false()
    return or_(*(and_(S.table_id == t, column >= _start(lo), column < _start(hi))
                 for t, lo, hi in days.ranges))


def _start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


@dataclass(frozen=True)
class Days:
    """(table, day) pairs as runs of consecutive days: (table_id, first, day after last)."""

    ranges: tuple[tuple[int, date, date], ...]

    @classmethod
    def of(cls, pairs: Iterable[tuple[int, date]]) -> Days:
        runs: list[list] = []
        for table_id, day in sorted(set(pairs)):
            if runs and runs[-1][0] == table_id and runs[-1][2] == day:
                runs[-1][2] = day + timedelta(days=1)
            else:
                runs.append([table_id, day, day + timedelta(days=1)])
        return cls(tuple((t, lo, hi) for t, lo, hi in runs))

    def months(self) -> Days:
        """The whole calendar months these days fall in."""
        runs: list[list] = []
        for table_id, lo, hi in self.ranges:
            first, last = _first_of_month(lo), _first_of_month(hi - timedelta(days=1), 1)
            if runs and runs[-1][0] == table_id and runs[-1][2] >= first:
                runs[-1][2] = max(runs[-1][2], last)
            else:
                runs.append([table_id, first, last])
        return Days(tuple((t, lo, hi) for t, lo, hi in runs))

    def rollup_rows(self, table: type) -> ColumnElement[bool]:
        """The rollup rows of these days."""
        if not self.ranges:
            return false()
        return or_(*(and_(table.table_id == t, table.day >= lo, table.day < hi)
                     for t, lo, hi in self.ranges))

    def __len__(self) -> int:
        return sum((hi - lo).days for _, lo, hi in self.ranges)


# -- building -----------------------------------------------------------------------------
def _insert(session: Session, kind: str, value: ColumnElement, sub: ColumnElement,
            measures: list[ColumnElement], day: ColumnElement, where: list[ColumnElement],
            joins: tuple[tuple, ...] = ()) -> None:
    day_col = day.label("day")
    query = select(S.table_id, day_col, literal(kind).label("kind"),
                   cast(value, String).label("value"), cast(sub, String).label("sub"),
                   func.count().label("n"),
                   *(m.label(f"m{i}") for i, m in enumerate(measures)))
    query = query.select_from(S)
    for target, onclause, *outer in joins:
        query = (query.outerjoin(target, onclause) if outer and outer[0]
                 else query.join(target, onclause))
    query = query.where(*where).group_by(S.table_id, day, value, sub)
    columns = ["table_id", "day", "kind", "value", "sub", "n",
               *(["helped", "contacted", "on_time"][:len(measures)])]
    if not measures:
        query = query.add_columns(literal(0), literal(0), literal(0))
        columns += ["helped", "contacted", "on_time"]
    session.execute(insert(R).from_select(columns, query))


def _insert_distinct(session: Session, kind: str, value: ColumnElement, day: ColumnElement,
                     where: list[ColumnElement], joins: tuple[tuple, ...]) -> None:
    """Situations per value where a situation may carry the value twice: distinct (situation,
    value) pairs of the matching rows first (hashed), then counted; faster than COUNT
    (DISTINCT), which sorts."""
    pairs = select(S.table_id, day.label("day"), S.id, cast(value, String).label("value"))
    pairs = pairs.select_from(S)
    for target, onclause in joins:
        pairs = pairs.join(target, onclause)
    p = pairs.where(*where).distinct().subquery()
    query = (select(p.c.table_id, p.c.day, literal(kind), p.c.value, literal(""), func.count(),
                    literal(0), literal(0), literal(0))
             .group_by(p.c.table_id, p.c.day, p.c.value))
    session.execute(insert(R).from_select(
        ["table_id", "day", "kind", "value", "sub", "n", "helped", "contacted", "on_time"],
        query))


def _build(session: Session, days: Days | None) -> None:
    """Insert the rollup rows of `days` (None: all days), which must hold none yet."""
    presented_day = day_of(session, S.presented_at)
    closed_day = day_of(session, S.closed_at)
    in_presented = _in_days(session, S.presented_at, days)
    in_closed = _in_days(session, S.closed_at, days)
    accepted = [in_presented, S.accepted_at.is_not(None)]
    closed = [in_closed, S.stage == "closed", S.conclusion_reason.is_not(None)]
    origin, lead, helper = aliased(Agency), aliased(Agency), aliased(Agency)
    none = literal("")

    dims = presented_dims(origin)
    for split in P_SPLITS:
        _insert(session, f"p:{split}", dims[split], decision(), [], presented_day,
                [in_presented], joins=((origin, origin.id == S.originating_agency_id),))
    a_dims = {"age_group": S.age_group, "gender": S.gender, "lead_sector": lead_sector(lead)}
    lead_join = ((lead, lead.id == S.lead_agency_id, True),)
    service = S.id.in_(select(SituationService.situation_id))
    due, made = S.first_contact_due.is_not(None), S.first_contact_at.is_not(None)
    measures = [_flag(or_(made, service)), _flag(and_(due, made)),
                _flag(and_(due, made, S.first_contact_at <= S.first_contact_due))]
    for split in A_SPLITS:
        _insert(session, f"a:{split}", a_dims[split], none, measures, presented_day,
                accepted, joins=lead_join)
        _insert(session, f"q:{split}", a_dims[split], _due_text(session), [], presented_day,
                [*accepted, due, S.first_contact_at.is_(None)], joins=lead_join)
    for split in C_SPLITS:
        _insert(session, f"c:{split}", getattr(S, split), S.conclusion_reason, [], closed_day,
                closed)
    # The whole cohorts, for the monthly trends and the conclusions (read per month).
    _insert(session, "p:all", none, decision(), [], presented_day, [in_presented])
    _insert(session, "c:all", none, S.conclusion_reason, [], closed_day, closed)
    rf = SituationRiskFactor
    factor_join = ((rf, rf.situation_id == S.id),)
    _insert_distinct(session, "f:category", rf.category_code, presented_day, accepted,
                     factor_join)
    _insert(session, "f:factor", rf.factor_code, none, [], presented_day, accepted,
            joins=factor_join)
    _insert_distinct(session, "s:assist", helper.sector, presented_day,
                     [*accepted, Involvement.role == "assisting"],
                     ((Involvement, Involvement.situation_id == S.id),
                      (helper, helper.id == Involvement.agency_id)))
    for measure, expr, day, where in (
            ("to_contact", to_contact(session), presented_day, and_(*accepted, made)),
            ("to_closure", to_closure(session), closed_day,
             and_(*closed, S.accepted_at.is_not(None)))):
        query = (select(S.table_id, day.label("day"), literal(measure), expr, func.count())
                 .where(where, expr.is_not(None)).group_by(S.table_id, day, expr))
        session.execute(insert(D).from_select(["table_id", "day", "measure", "duration", "n"],
                                              query))


def _build_months(session: Session, months: Days | None) -> None:
    """Sum the daily rows of `months` (None: all) into the monthly rows, which must hold none
    of them yet."""
    for daily, monthly, keys, sums in (
            (R, RM, ("kind", "value", "sub"), ("n", "helped", "contacted", "on_time")),
            (D, DM, ("measure", "duration"), ("n",))):
        month = _month_start(session, daily.day)
        query = (select(daily.table_id, month, *(getattr(daily, k) for k in keys),
                        *(func.sum(getattr(daily, m)) for m in sums))
                 .group_by(daily.table_id, month, *(getattr(daily, k) for k in keys)))
        if months is not None:
            query = query.where(months.rollup_rows(daily))
        session.execute(insert(monthly).from_select(["table_id", "day", *keys, *sums], query))


# -- dirty days ---------------------------------------------------------------------------
def changed_days(session: Session, state: ReportRollupState,
                 table_ids: Iterable[int] | None = None) -> Days:
    """The (table, day) pairs touched since `state`: the presented and closed days of every
    situation created or updated since (an index scan, not a table scan)."""
    changed = or_(S.updated_at >= state.watermark, S.id > state.max_situation_id)
    query = select(S.table_id, S.presented_at, S.closed_at).where(changed)
    if table_ids is not None:
        query = query.where(S.table_id.in_(list(table_ids)))
    pairs = set()
    for table_id, presented, closed in session.execute(query):
        for at in (presented, closed):
            if at is not None:
                pairs.add((table_id, at.astimezone(UTC).date()))
    return Days.of(pairs)


def _oldest_in_flight(session: Session, now: datetime) -> datetime:
    """`now`, or the start of the oldest other transaction on this database if earlier: its
    changes are not visible to this refresh and may carry earlier stamps."""
    if dialect(session) != "postgresql":
        return now
    oldest = session.scalar(text(
        "SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"))
    return now if oldest is None else min(now, oldest)


@dataclass(frozen=True)
class Refreshed:
    full: bool
    days: int
    seconds: float


def refresh_rollups(session: Session, *, full: bool = False, now: datetime | None = None,
                    margin: timedelta = MARGIN) -> Refreshed:
    """Bring the daily rollups up to date: rebuild the days changed since the last refresh
    (all of them the first time, or with `full`). Idempotent; safe beside commands, whose
    changes from `margin` before `now` on are taken as unseen (their days stay dirty)."""
    started = datetime.now(UTC)
    now = now or utcnow()
    watermark = _oldest_in_flight(session, now) - margin
    state = session.scalar(select(ReportRollupState).where(ReportRollupState.id == STATE_ID)
                           .with_for_update())
    max_id = session.scalar(select(func.coalesce(func.max(S.id), 0)))
    dirty = None if state is None or full else changed_days(session, state)
    if dirty is None or len(dirty) > FULL_ABOVE_DAYS:
        for table in (R, D, RM, DM):
            session.execute(delete(table))
        _build(session, None)
        _build_months(session, None)
        days = session.scalar(select(func.count()).select_from(
            select(R.table_id, R.day).distinct().subquery())) or 0
        full = True
        if dialect(session) == "postgresql":
            # Fresh tables have no statistics yet: the first report would plan blind.
            for table in (R, D, RM, DM):
                session.execute(text(f"ANALYZE {table.__tablename__}"))
    else:
        if dirty.ranges:
            months = dirty.months()
            session.execute(delete(R).where(dirty.rollup_rows(R)))
            session.execute(delete(D).where(dirty.rollup_rows(D)))
            session.execute(delete(RM).where(months.rollup_rows(RM)))
            session.execute(delete(DM).where(months.rollup_rows(DM)))
            _build(session, dirty)
            _build_months(session, months)
        days = len(dirty)
    if state is None:
        state = ReportRollupState(id=STATE_ID, watermark=watermark, max_situation_id=max_id,
                                  refreshed_at=now)
        session.add(state)
    else:
        state.watermark = watermark
        state.max_situation_id = max_id
        state.refreshed_at = now
    session.flush()
    return Refreshed(full=full, days=days,
                     seconds=(datetime.now(UTC) - started).total_seconds())


# -- reading ------------------------------------------------------------------------------
def _full_months(scope: Scope) -> tuple[date, date] | None:
    """The calendar months wholly inside the period, as [first, end), if any."""
    start, end = scope.period.start, scope.period.end
    first = start if start.day == 1 else _first_of_month(start, 1)
    last = _first_of_month(end)
    return (first, last) if first < last else None


def _parts(scope: Scope, skip: Days) -> list[tuple[type, type, Callable]]:
    """Where each part of the period is read: (counts table, durations table, conditions on
    either). Whole months without a dirty day from the monthly rows, the rest from the daily
    rows (as index ranges), leaving out the dirty days (grouped live instead)."""
    start, end = scope.period.start, scope.period.end
    dirty_months = skip.months()
    full = _full_months(scope)

    def clean(table: type, days: Days) -> ColumnElement[bool]:
        return ~days.rollup_rows(table) if days.ranges else true()

    def daily(table: type) -> list[ColumnElement[bool]]:
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

    parts: list[tuple[type, type, Callable]] = []
    if full is not None:
        parts.append((RM, DM, lambda t: [t.table_id.in_(scope.table_ids), t.day >= full[0],
                                         t.day < full[1], clean(t, dirty_months)]))
    has_days = full is None or start < full[0] or full[1] < end or any(
        t in scope.table_ids for t, _, _ in dirty_months.ranges)
    if has_days:
        parts.append((R, D, daily))
    return parts


def _from_rollups(session: Session, scope: Scope, as_of: datetime, skip: Days) -> Counts:
    """The scope's counts summed from the rollups, leaving out the `skip` days."""
    due_before = as_of.astimezone(UTC).strftime(DUE_FORMAT)
    lowered = {c for c, item in load_catalog().conclusion_reasons.items()
               if item.outcome == "risk_lowered"}
    p: dict[str, dict[tuple, int]] = {s: {} for s in (*P_SPLITS, "month")}
    a: dict[str, dict[object, list[int]]] = {s: {} for s in A_SPLITS}
    c: dict[str, dict[object, list[int]]] = {s: {} for s in (*C_SPLITS, "conclusion",
                                                             "closed_month")}
    out = Counts()
    for counts, durations, where in _parts(scope, skip):
        # Only the whole cohorts are needed per month: the splits are summed over the period.
        month = case((counts.kind.in_(("p:all", "c:all")), _month_of_day(session, counts.day)),
                     else_=0)
        rows = session.execute(
            select(counts.kind, counts.value, counts.sub, month, func.sum(counts.n),
                   func.sum(counts.helped), func.sum(counts.contacted),
                   func.sum(counts.on_time))
            .where(*where(counts), or_(~counts.kind.startswith("q:"), counts.sub < due_before))
            .group_by(counts.kind, counts.value, counts.sub, month))
        for kind, value, sub, m, n, helped, contacted, on_time in rows:
            group, _, split = kind.partition(":")
            n = int(n)
            month_code = f"{m // 100:04d}-{m % 100:02d}"
            if kind == "p:all":
                p["month"][(month_code, sub)] = p["month"].get((month_code, sub), 0) + n
            elif group == "p":
                code = int(value) if split == "re_presented" else value
                p[split][(code, sub)] = p[split].get((code, sub), 0) + n
            elif group in ("a", "q"):
                acc = a[split].setdefault(value, [0, 0, 0, 0])
                if group == "a":
                    for i, v in enumerate((n, helped, contacted, on_time)):
                        acc[i] += int(v)
                else:
                    acc[2] += n  # due before "as of", not made: due, not on time
            elif group == "c":
                low = n if sub in lowered else 0
                keys = ([("conclusion", sub), ("closed_month", month_code)] if split == "all"
                        else [(split, value)])
                for name, code in keys:
                    acc = c[name].setdefault(code, [0, 0])
                    acc[0] += n
                    acc[1] += low
            elif kind == "f:category":
                out.categories[value] = out.categories.get(value, 0) + n
            elif kind == "f:factor":
                out.factors[value] = out.factors.get(value, 0) + n
            elif kind == "s:assist":
                out.assisting[value] = out.assisting.get(value, 0) + n
        for measure, duration, n in session.execute(
                select(durations.measure, durations.duration, func.sum(durations.n))
                .where(*where(durations)).group_by(durations.measure, durations.duration)):
            target = out.to_contact if measure == "to_contact" else out.to_closure
            target[float(duration)] = target.get(float(duration), 0) + int(n)
    out.presented = {s: [(*k, v) for k, v in d.items()] for s, d in p.items()}
    out.accepted = {s: [(k, *v) for k, v in d.items()] for s, d in a.items()}
    out.closed = {s: [(k, *v) for k, v in d.items()] for s, d in c.items()}
    return out


def _live(session: Session, scope: Scope, now: datetime, days: Days) -> Counts:
    """The counts of the situations presented or closed on `days`, grouped from the
    situations themselves by the raw report's own queries."""
    fb = FigureBuilder(session, scope, now=now)
    cohorts = Cohorts(scope)
    cohorts.presented = and_(cohorts.presented, _in_days(session, S.presented_at, days))
    cohorts.accepted = and_(cohorts.presented, S.accepted_at.is_not(None))
    cohorts.closed = and_(cohorts.closed, _in_days(session, S.closed_at, days))
    fb.cohorts = cohorts
    fb.presented_breakdowns()
    fb.cohort_breakdowns()
    categories, factors = fb._factor_counts()
    return Counts(
        presented=fb._presented, accepted=fb.accepted_rows, closed=fb.closed_rows,
        categories=categories, factors=factors, assisting=fb._assisting_counts(),
        to_contact=histogram(session, to_contact(session), contact_where(cohorts.accepted)),
        to_closure=histogram(session, to_closure(session), closure_where(cohorts.closed)),
    )


def report_counts(session: Session, scope: Scope, now: datetime) -> Counts | None:
    """The scope's counts from the rollups plus the dirty days live; None when the rollups
    were never built (the report then groups the situations itself)."""
    state = session.get(ReportRollupState, STATE_ID)
    if state is None:
        return None
    start, end = scope.period.bounds()
    as_of = min(end, now)
    dirty = changed_days(session, state, scope.table_ids)
    counts = _from_rollups(session, scope, as_of, dirty)
    if dirty.ranges:
        counts = counts + _live(session, scope, now, dirty)
    return counts
