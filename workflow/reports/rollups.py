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
- "f:category", "f:factor", "s:assist": risk categories, factors, assisting sectors;
- "e:<dimension>", "u:answer" and the timeliness histograms: see rollup_measures.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import BindParameter

from workflow.models import (
    Agency,
    Involvement,
    ReportRollupState,
    SituationRiskFactor,
    SituationService,
    utcnow,
)
from workflow.reports.durations import to_closure, to_contact
from workflow.reports.figures import lead_sector, presented_dims
from workflow.reports.rollup_days import (
    A_SPLITS,
    C_SPLITS,
    DM,
    P_SPLITS,
    RM,
    ROLLUP_VERSION,
    STATE_ID,
    D,
    Days,
    R,
    changed_days,
    day_of,
    due_text,
    flag_sum,
    in_days,
    month_start,
)
from workflow.reports.rollup_measures import build_measures
from workflow.reports.sql import Expr, S, decision, dialect

#: Changes stamped this long before the refresh started (or before the oldest transaction
#: then in flight, on PostgreSQL) are taken as seen by it; later ones leave their days dirty.
#: It covers a command's clock read before its transaction began, and clock skew.
MARGIN = timedelta(minutes=1)
#: More dirty days than this: one set-based rebuild of everything is cheaper than many ranges.
FULL_ABOVE_DAYS = 60


# -- building -----------------------------------------------------------------------------
def _insert(session: Session, kind: str, value: Expr, sub: Expr,
            measures: list[ColumnElement[Any]], day: ColumnElement[Any],
            where: list[ColumnElement[Any]], joins: tuple[tuple[Any, ...], ...] = ()) -> None:
    day_col = day.label("day")
    query = select(S.table_id, day_col, literal(kind).label("kind"),
                   cast(value, String).label("value"), cast(sub, String).label("sub"),
                   func.count().label("n"),
                   *(m.label(f"m{i}") for i, m in enumerate(measures)))
    query = query.select_from(S)
    for target, onclause, *outer in joins:
        query = (query.outerjoin(target, onclause) if outer and outer[0]
                 else query.join(target, onclause))
    # A constant (literal("")) is not grouped by: PostgreSQL refuses a constant in GROUP BY
    # once the driver inlines it (psycopg2 does), and it groups nothing anyway.
    keys = [k for k in (S.table_id, day, value, sub) if not isinstance(k, BindParameter)]
    query = query.where(*where).group_by(*keys)
    columns = ["table_id", "day", "kind", "value", "sub", "n",
               *(["helped", "contacted", "on_time"][:len(measures)])]
    if not measures:
        query = query.add_columns(literal(0), literal(0), literal(0))
        columns += ["helped", "contacted", "on_time"]
    session.execute(insert(R).from_select(columns, query))


def _insert_distinct(session: Session, kind: str, value: Expr, day: ColumnElement[Any],
                     where: list[ColumnElement[Any]], joins: tuple[tuple[Any, ...], ...]
                     ) -> None:
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
    in_presented = in_days(session, S.presented_at, days)
    in_closed = in_days(session, S.closed_at, days)
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
    measures = [flag_sum(or_(made, service)), flag_sum(and_(due, made)),
                flag_sum(and_(due, made, S.first_contact_at <= S.first_contact_due))]
    for split in A_SPLITS:
        _insert(session, f"a:{split}", a_dims[split], none, measures, presented_day,
                accepted, joins=lead_join)
        _insert(session, f"q:{split}", a_dims[split], due_text(session), [], presented_day,
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
    build_measures(session, days)


def _build_months(session: Session, months: Days | None) -> None:
    """Sum the daily rows of `months` (None: all) into the monthly rows, which must hold none
    of them yet."""
    for daily, monthly, keys, sums in (
            (R, RM, ("kind", "value", "sub"), ("n", "helped", "contacted", "on_time")),
            (D, DM, ("measure", "duration"), ("n",))):
        month = month_start(session, daily.day)
        query = (select(daily.table_id, month, *(getattr(daily, k) for k in keys),
                        *(func.sum(getattr(daily, m)) for m in sums))
                 .group_by(daily.table_id, month, *(getattr(daily, k) for k in keys)))
        if months is not None:
            query = query.where(months.rollup_rows(daily))
        session.execute(insert(monthly).from_select(["table_id", "day", *keys, *sums], query))


# -- refreshing ------------------------------------------------------------------------
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
    (all of them the first time, with `full`, or when built as another ROLLUP_VERSION).
    Idempotent; safe beside commands, whose changes from `margin` before `now` on are taken
    as unseen (their days stay dirty)."""
    started = datetime.now(UTC)
    now = now or utcnow()
    watermark = _oldest_in_flight(session, now) - margin
    state = session.scalar(select(ReportRollupState).where(ReportRollupState.id == STATE_ID)
                           .with_for_update())
    max_id = session.scalar(select(func.coalesce(func.max(S.id), 0))) or 0
    current = state is not None and state.version == ROLLUP_VERSION
    dirty = changed_days(session, state) if state is not None and current and not full else None
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
                                  refreshed_at=now, version=ROLLUP_VERSION)
        session.add(state)
    else:
        state.watermark = watermark
        state.max_situation_id = max_id
        state.refreshed_at = now
        state.version = ROLLUP_VERSION
    session.flush()
    return Refreshed(full=full, days=days,
                     seconds=(datetime.now(UTC) - started).total_seconds())




__all__ = ["STATE_ID", "Days", "Refreshed", "changed_days", "refresh_rollups"]
