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

from sqlalchemy import ColumnElement, and_, case, cast, func, literal
from sqlalchemy import Float as SAFloat
from sqlalchemy.orm import Session

from workflow.models import Situation
from workflow.reports.scope import Scope

S = Situation


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def month_of(session: Session, column: ColumnElement) -> ColumnElement[str]:
    """The UTC calendar month of a datetime column, "YYYY-MM"."""
    if dialect(session) == "postgresql":
        return func.to_char(func.timezone("UTC", column), literal("YYYY-MM"))
    return func.strftime("%Y-%m", column)


def hours_between(session: Session, later: ColumnElement, earlier: ColumnElement
                  ) -> ColumnElement[float]:
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


class Cohorts:
    def __init__(self, scope: Scope) -> None:
        start, end = scope.period.bounds()
        in_scope = S.table_id.in_(scope.table_ids)
        self.presented = and_(in_scope, S.presented_at >= start, S.presented_at < end)
        self.accepted = and_(self.presented, S.accepted_at.is_not(None))
        self.closed = and_(in_scope, S.stage == "closed", S.conclusion_reason.is_not(None),
                           S.closed_at >= start, S.closed_at < end)
