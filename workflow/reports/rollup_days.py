"""The rollups' vocabulary: their tables, the (table, day) ranges they are rebuilt and read
by, and the SQL pieces (UTC day, month, due time) both the building and the reading use.

See workflow/reports/rollups.py for why the report keeps daily rollups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from workflow.models import (
    ReportDurationRollup,
    ReportDurationRollupMonth,
    ReportRollup,
    ReportRollupMonth,
    ReportRollupState,
)
from workflow.reports.sql import Expr, S, dialect

R, D = ReportRollup, ReportDurationRollup
RM, DM = ReportRollupMonth, ReportDurationRollupMonth
CountsTable = type[ReportRollup] | type[ReportRollupMonth]
DurationsTable = type[ReportDurationRollup] | type[ReportDurationRollupMonth]
RollupTable = CountsTable | DurationsTable
#: Conditions on the rows of a rollup table.
Where = Callable[[RollupTable], list[ColumnElement[bool]]]
STATE_ID = 1
#: The kinds of rows the rollups hold (ReportRollupState.version): raise it whenever the
#: building changes what they hold, so that existing databases rebuild them all (until then
#: the report groups the situations itself). 2: the timeliness histograms, the equity
#: answers and the follow-up answers (rollup_measures.py).
ROLLUP_VERSION = 2
P_SPLITS = ("age_group", "gender", "situation_type", "origin_sector", "help_source",
            "re_presented", "rejection")
A_SPLITS = ("age_group", "gender", "lead_sector")
C_SPLITS = ("age_group", "gender")
#: Stored due times sort as text: "YYYY-MM-DD HH:MM:SS.ffffff" in UTC on both databases.
DUE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"



# -- SQL pieces ---------------------------------------------------------------------------
def day_of(session: Session, column: Expr) -> ColumnElement[date]:
    """The UTC calendar day of a datetime column."""
    if dialect(session) == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def month_of_day(session: Session, column: Expr) -> ColumnElement[int]:
    """year * 100 + month of a date column (a number groups faster than text)."""
    if dialect(session) == "postgresql":
        return cast(func.extract("year", column) * 100 + func.extract("month", column), Integer)
    return cast(func.strftime("%Y%m", column), Integer)


def due_text(session: Session) -> ColumnElement[str]:
    if dialect(session) == "postgresql":
        return func.to_char(func.timezone("UTC", S.first_contact_due),
                            literal("YYYY-MM-DD HH24:MI:SS.US"))
    # SQLite keeps datetimes as this very text (SQLAlchemy's storage format).
    return cast(S.first_contact_due, String)


def month_start(session: Session, column: Expr) -> ColumnElement[date]:
    if dialect(session) == "postgresql":
        return cast(func.date_trunc("month", column), Date)
    return func.date(column, "start of month")


def first_of_month(day: date, shift: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def flag_sum(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def in_days(session: Session, column: Expr, days: Days | None
             ) -> ColumnElement[bool]:
    """Situations whose `column` falls on one of `days` (None: any day)."""
    if days is None:
        return column.is_not(None)
    if not days.ranges:
        return false()
    return or_(*(and_(S.table_id == t, column >= day_start(lo), column < day_start(hi))
                 for t, lo, hi in days.ranges))


def day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


@dataclass(frozen=True)
class Days:
    """(table, day) pairs as runs of consecutive days: (table_id, first, day after last)."""

    ranges: tuple[tuple[int, date, date], ...]

    @classmethod
    def of(cls, pairs: Iterable[tuple[int, date]]) -> Days:
        runs: list[list[Any]] = []
        for table_id, day in sorted(set(pairs)):
            if runs and runs[-1][0] == table_id and runs[-1][2] == day:
                runs[-1][2] = day + timedelta(days=1)
            else:
                runs.append([table_id, day, day + timedelta(days=1)])
        return cls(tuple((t, lo, hi) for t, lo, hi in runs))

    def months(self) -> Days:
        """The whole calendar months these days fall in."""
        runs: list[list[Any]] = []
        for table_id, lo, hi in self.ranges:
            first, last = first_of_month(lo), first_of_month(hi - timedelta(days=1), 1)
            if runs and runs[-1][0] == table_id and runs[-1][2] >= first:
                runs[-1][2] = max(runs[-1][2], last)
            else:
                runs.append([table_id, first, last])
        return Days(tuple((t, lo, hi) for t, lo, hi in runs))

    def rollup_rows(self, table: RollupTable) -> ColumnElement[bool]:
        """The rollup rows of these days."""
        if not self.ranges:
            return false()
        return or_(*(and_(table.table_id == t, table.day >= lo, table.day < hi)
                     for t, lo, hi in self.ranges))

    def __len__(self) -> int:
        return sum((hi - lo).days for _, lo, hi in self.ranges)


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
