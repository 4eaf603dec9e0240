"""The few SQL expressions that differ between SQLite and PostgreSQL, and the report's cohorts.

Why: every figure is one GROUP BY in the database; only months and durations need a dialect's
own functions. Datetimes are stored in UTC, so months are UTC calendar months.

Cohorts (all restricted to the tables in scope):
- presented: presented in the period (the table decides at the meeting that hears it, so its
  decision belongs to the same cohort and accepted + rejected + undecided = presented);
- accepted: the presented cohort's situations found to be AER;
- closed: closed (with a conclusion) in the period.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy import Float as SAFloat
from sqlalchemy.orm import Session

from workflow.models import Situation
from workflow.reports.scope import Scope

S = Situation
#: a column or SQL expression (a model attribute such as S.closed_at is one too)
Expr = SQLColumnExpression[Any]


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def month_of(session: Session, column: Expr) -> ColumnElement[str]:
    """The UTC calendar month of a datetime column, "YYYY-MM"."""
    if dialect(session) == "postgresql":
        return func.to_char(func.timezone("UTC", column), literal("YYYY-MM"))
    return func.strftime("%Y-%m", column)


def hours_between(session: Session, later: Expr, earlier: Expr) -> ColumnElement[Any]:
    """Hours from `earlier` to `later` (a Decimal on PostgreSQL, a float on SQLite)."""
    if dialect(session) == "postgresql":
        return func.extract("epoch", later - earlier) / 3600.0
    return (func.julianday(later) - func.julianday(earlier)) * cast(24.0, SAFloat)


def decision() -> ColumnElement[str]:
    """accepted | rejected | undecided (still pending, or withdrawn before a decision)."""
    return case(
        (S.accepted_at.is_not(None), "accepted"),
        (S.rejection_reason.is_not(None), "rejected"),
        else_="undecided",
    )


DECISIONS = ("accepted", "rejected", "undecided")


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def accepted_measures(as_of: datetime) -> list[ColumnElement[int]]:
    """Over accepted situations: count, received help (a service mobilised or a first
    contact made), first contact due by `as_of` (or made), first contact made on time."""
    from workflow.models import SituationService

    # An uncorrelated IN: PostgreSQL hashes the set once instead of probing per situation.
    service = S.id.in_(select(SituationService.situation_id))
    due_known = and_(S.first_contact_due.is_not(None),
                     or_(S.first_contact_at.is_not(None), S.first_contact_due < as_of))
    return [
        func.count(),
        _flag(or_(S.first_contact_at.is_not(None), service)),
        _flag(due_known),
        _flag(and_(S.first_contact_due.is_not(None), S.first_contact_at.is_not(None),
                   S.first_contact_at <= S.first_contact_due)),
    ]


def closed_measures(lowered_codes: list[str]) -> list[ColumnElement[int]]:
    """Over closed situations: count, closed with an outcome of risk lowered."""
    return [func.count(), _flag(S.conclusion_reason.in_(lowered_codes))]


class Cohorts:
    def __init__(self, scope: Scope) -> None:
        start, end = scope.period.bounds()
        in_scope = S.table_id.in_(scope.table_ids)
        self.presented = and_(in_scope, S.presented_at >= start, S.presented_at < end)
        self.accepted = and_(self.presented, S.accepted_at.is_not(None))
        self.closed = and_(in_scope, S.stage == "closed", S.conclusion_reason.is_not(None),
                           S.closed_at >= start, S.closed_at < end)


def grouped(session: Session, sets: dict[str, tuple[Expr, ...]],
            measures: list[ColumnElement[Any]], where: ColumnElement[bool], *,
            joins: tuple[tuple[Any, ...], ...] = ()) -> dict[str, list[tuple[Any, ...]]]:
    """Several GROUP BYs over the same rows: {set name: [(*group values, *measures)]}.

    PostgreSQL does them in one scan with GROUPING SETS (GROUPING() tells which set a row
    belongs to); SQLite runs one GROUP BY per set. Same answer, fewer scans where it counts.
    """
    def base(*columns: Expr) -> Select[Any]:
        query = select(*columns).select_from(S)
        for target, onclause, *outer in joins:
            query = (query.outerjoin(target, onclause) if outer and outer[0]
                     else query.join(target, onclause))
        return query.where(where)

    if dialect(session) != "postgresql" or len(sets) == 1:
        return {name: [tuple(r) for r in session.execute(
            base(*exprs, *measures).group_by(*exprs))] for name, exprs in sets.items()}
    distinct: list[Expr] = []
    for exprs in sets.values():
        for e in exprs:
            if not any(e is d for d in distinct):
                distinct.append(e)
    width = len(distinct)

    def mask(exprs: tuple[Expr, ...]) -> int:
        # GROUPING(a, b, c) sets the bit of each argument NOT grouped in the row's set;
        # the first argument is the most significant bit.
        return sum(1 << (width - 1 - i) for i, d in enumerate(distinct)
                   if not any(d is e for e in exprs))

    by_mask = {mask(exprs): name for name, exprs in sets.items()}
    positions = {name: [next(i for i, d in enumerate(distinct) if d is e) for e in exprs]
                 for name, exprs in sets.items()}
    query = base(*distinct, func.grouping(*distinct), *measures).group_by(
        func.grouping_sets(*(tuple_(*exprs) for exprs in sets.values())))
    out: dict[str, list[tuple[Any, ...]]] = {name: [] for name in sets}
    for row in session.execute(query):
        name = by_mask[row[width]]
        out[name].append(tuple(row[i] for i in positions[name]) + tuple(row[width + 1:]))
    return out
