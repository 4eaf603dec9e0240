"""What a report covers: which tables (one table, a region, or all in the reader's scope), which
period [start, end), which small-cell threshold and which targets.

Why here: the web page, the command line and the monthly flow must agree on who may see which
tables and on how a period is read, so they all go through `resolve_scope`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import access
from workflow.errors import NotFound, PermissionDenied, ValidationError
from workflow.models import Table, User
from workflow.reports.phrase import Phrase

#: Plan indicators and their default targets (percent); a table overrides them in Table.targets.
DEFAULT_TARGETS: dict[str, float | None] = {
    "received_help": 100.0,
    "first_contact_on_time": None,
    "risk_lowered": None,
}


@dataclass(frozen=True)
class Period:
    """A half-open period of whole UTC days: start included, end excluded."""

    start: date
    end: date

    def bounds(self) -> tuple[datetime, datetime]:
        return (datetime.combine(self.start, datetime.min.time(), UTC),
                datetime.combine(self.end, datetime.min.time(), UTC))

    def months(self) -> list[str]:
        """Every calendar month the period touches, "YYYY-MM", in order."""
        out, y, m = [], self.start.year, self.start.month
        last = self.end - timedelta(days=1)
        while (y, m) <= (last.year, last.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    @property
    def label(self) -> Phrase:
        return Phrase("%(start)s to %(end)s", start=self.start.isoformat(),
                      end=(self.end - timedelta(days=1)).isoformat())


#: The longest period one report covers, and the years a date may name: a report over
#: 0001-01-01..9999-12-31 once held a web thread for minutes (README, "Reports").
MAX_PERIOD_DAYS = 5 * 366
MIN_YEAR, MAX_YEAR = 2000, 2100
#: The messages about one date, by the parameter it came in: one template each, so that a
#: translation can name the date in its own words.
NOT_A_DATE = {"from": "from date %(value)r is not a date like 2026-01-31",
              "to": "to date %(value)r is not a date like 2026-01-31"}
OUT_OF_YEARS = {"from": "the 'from' date must be between the years %(MIN_YEAR)s and %(MAX_YEAR)s",
                "to": "the 'to' date must be between the years %(MIN_YEAR)s and %(MAX_YEAR)s"}


def _parse_day(value: str, name: str) -> date:
    try:
        day = date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise ValidationError(NOT_A_DATE[name], field=name, value=value[:40]) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValidationError(OUT_OF_YEARS[name], field=name, MIN_YEAR=MIN_YEAR,
                              MAX_YEAR=MAX_YEAR)
    return day


def _month_start(day: date, shift: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def parse_period(start: str | None, end: str | None, *, today: date | None = None) -> Period:
    """Read "from"/"to" (YYYY-MM-DD, "to" excluded). Defaults: the last twelve calendar
    months including the current one."""
    today = today or datetime.now(UTC).date()
    end_day = _parse_day(end, "to") if end else _month_start(today, 1)
    start_day = _parse_day(start, "from") if start else _month_start(end_day - timedelta(days=1),
                                                                     -11)
    if start_day >= end_day:
        raise ValidationError("the 'from' date must be before the 'to' date (which is excluded)",
                              field="from")
    if (end_day - start_day).days > MAX_PERIOD_DAYS:
        raise ValidationError("a report covers at most %(MAX_PERIOD_DAYS)s days (five years); "
                              "choose a shorter period", field="from",
                              MAX_PERIOD_DAYS=MAX_PERIOD_DAYS)
    return Period(start_day, end_day)


def month_period(period: str) -> Period:
    """"YYYY-MM" as the period of that calendar month."""
    try:
        first = datetime.strptime(period, "%Y-%m").date()
    except (TypeError, ValueError):
        raise ValidationError("period %(period)r is not a month like 2026-01",
                              field="period", period=period) from None
    return Period(first, _month_start(first, 1))


@dataclass(frozen=True)
class Scope:
    label: str  # a table's code, or a Phrase ("your tables", "region ON")
    table_ids: tuple[int, ...]
    table_codes: tuple[str, ...]
    period: Period
    threshold: int
    targets: dict[str, float | None]


def _targets(tables: list[Table]) -> dict[str, float | None]:
    """Per indicator the strictest target set by any table in scope, else the default."""
    out = dict(DEFAULT_TARGETS)
    for key in out:
        given = [float(t.targets[key]) for t in tables
                 if isinstance(t.targets, dict) and isinstance(t.targets.get(key), int | float)]
        if given:
            out[key] = max(given)
    return out


def resolve_scope(session: Session, period: Period, *, table: str | None = None,
                  region: str | None = None, actor: User | None = None) -> Scope:
    """The tables a report covers. With an actor, only tables in their scope (managers and
    chairs); without one (the operator's command line), any table."""
    if table and region:
        raise ValidationError("choose a table or a region, not both", field="table")
    query = select(Table).order_by(Table.code)
    if actor is not None:
        access.require_permission(actor, "reports.view")
        allowed = access.table_ids_in_scope(session, actor)
        query = query.where(Table.id.in_(allowed))
    tables = list(session.scalars(query))
    if table:
        chosen = [t for t in tables if t.code == table or str(t.id) == table]
        if not chosen:
            if actor is not None and session.scalar(select(Table.id).where(Table.code == table)):
                raise PermissionDenied("table %(table)s is not among the tables you report on",
                                       table=table)
            raise NotFound(f"no table {table!r}", field="table")
        tables, label = chosen, chosen[0].code
    elif region:
        tables = [t for t in tables if t.region == region]
        if not tables:
            raise NotFound(f"no table in region {region!r} that you report on", field="region")
        label = Phrase("region %(region)s", region=region)
    else:
        if not tables:
            raise NotFound("there is no table to report on", field="table")
        label = Phrase("all tables") if actor is None else Phrase("your tables")
    return Scope(
        label=label,
        table_ids=tuple(t.id for t in tables),
        table_codes=tuple(t.code for t in tables),
        period=period,
        threshold=max(t.small_cell_threshold for t in tables),
        targets=_targets(tables),
    )
