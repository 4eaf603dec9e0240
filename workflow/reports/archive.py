"""The archive of stored monthly reports: what was reported for a table and a month, as stored.

Why: the monthly flow keeps each table's report (monthly.py) so that "what did we report for
October" has one answer; this is how managers and chairs read it back. Who may see which
table is the live reports' rule (workflow.access, as resolve_scope asks it: managers their
assigned tables, chairs their tables, anyone else refused). A table outside the reader's scope
answers NotFound, exactly as an unknown table or a month with no report does, so the archive
never tells whether a report exists.

A stored body records the small-cell threshold it was built with, and a table's threshold may
be raised later (workflow.administration.update_privacy). A body below the table's current
threshold is never shown: it is rebuilt first, in place (store_monthly). So is a body made
with an older suppression (suppression.METHOD), which could leave a small count that the
sums pin. The rebuild is audited,
and marked in the body it wrote, which is how the page can say, then and later, that and when
it was rebuilt (the list reads the mark, never the audit log).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import access, audit
from workflow.errors import NotFound, ValidationError
from workflow.models import StoredReport, Table, User, utcnow
from workflow.reports import suppression
from workflow.reports.monthly import store_monthly
from workflow.reports.scope import month_period

#: The audit action of a stored report rebuilt under a raised threshold or a newer suppression.
REBUILT = "report.rebuilt"
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


@dataclass(frozen=True)
class Listed:
    """One stored report in the archive's list (no figures: the list shows none)."""

    table_code: str
    table_name: str
    timezone: str
    period: str
    stored_at: datetime
    rebuilt: bool  # the body kept is a rebuild (a raised threshold, a newer suppression)


@dataclass(frozen=True)
class Rebuild:
    """The stored body was rebuilt at `at`, from `threshold_before` (None: the body named
    none) to the table's threshold then (the same when only the suppression was older)."""

    at: datetime
    threshold_before: int | None
    threshold: int


@dataclass(frozen=True)
class Archived:
    """One stored report, at or above its table's current small-cell threshold."""

    table_code: str
    table_name: str
    timezone: str
    period: str
    stored_at: datetime
    body: dict[str, Any]
    rebuilt: Rebuild | None


def stored_reports(session: Session, actor: User) -> list[Listed]:
    """The stored reports of the actor's tables, newest month first, then by table code."""
    access.require_permission(actor, "reports.view")
    ids = access.table_ids_in_scope(session, actor)
    if not ids:
        return []
    rows = session.execute(
        select(Table.code, Table.name, Table.timezone, StoredReport.period,
               StoredReport.created_at, _REBUILT_AT.label("rebuilt_at"))
        .join(Table, Table.id == StoredReport.table_id)
        .where(StoredReport.table_id.in_(ids))
        .order_by(StoredReport.period.desc(), Table.code))
    return [Listed(table_code=r.code, table_name=r.name, timezone=r.timezone, period=r.period,
                   stored_at=r.created_at, rebuilt=r.rebuilt_at is not None)
            for r in rows]


#: A rebuild is written into the body it made (and the audit log): a later run of the
#: monthly flow stores the month anew, and then it is no rebuild any more.
_REBUILT_KEY = "rebuilt"
_REBUILT_AT = StoredReport.body[(_REBUILT_KEY, "at")].as_string()


def check_month(period: str) -> str:
    """A period as the archive names it: "YYYY-MM", a real month (2026-13 is not)."""
    if not _MONTH.fullmatch(period):
        raise ValidationError("period %(period)r is not a month like 2026-01",
                              field="period", period=period[:20])
    month_period(period)
    return period


def stored_report(session: Session, actor: User, table_code: str, period: str, *,
                  now: datetime | None = None) -> Archived:
    """One table's stored report of one month, rebuilt first when its threshold is below the
    table's current one. Refuses a role that sees no reports (PermissionDenied), a period that
    is not a month (ValidationError), and answers NotFound for a table outside the actor's
    scope as for a table or report that does not exist."""
    access.require_permission(actor, "reports.view")
    check_month(period)
    table = session.scalar(select(Table).where(
        Table.code == table_code, Table.id.in_(access.table_ids_in_scope(session, actor))))
    if table is None:
        raise NotFound("no stored report of that table that you may see", field="table")
    stored = _stored(session, table.id, period)
    if _below(stored, table):
        # Locked and read again: of two readers who found it below, the second finds it
        # rebuilt by the first (PostgreSQL; SQLite has one writer at a time anyway).
        stored = _stored(session, table.id, period, lock=True)
    before = stored_threshold(stored.body)
    method_before = stored_method(stored.body)
    if _below(stored, table):
        at = now or utcnow()
        stored = store_monthly(session, table.id, period, now=at)
        stored.body = {**stored.body, _REBUILT_KEY: {
            "at": at.isoformat(), "threshold_before": before,
            "threshold": table.small_cell_threshold}}
        audit.record(session, REBUILT, actor=actor, now=at, detail={
            "table_id": table.id, "period": period, "small_cell_threshold_before": before,
            "small_cell_threshold": table.small_cell_threshold,
            "suppression_method_before": method_before,
            "suppression_method": suppression.METHOD})
    rebuilt = _rebuild_of(stored.body)
    return Archived(table_code=table.code, table_name=table.name, timezone=table.timezone,
                    period=period, stored_at=stored.created_at, body=dict(stored.body),
                    rebuilt=rebuilt)


def _stored(session: Session, table_id: int, period: str, *,
            lock: bool = False) -> StoredReport:
    query = select(StoredReport).where(StoredReport.table_id == table_id,
                                       StoredReport.period == period)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    stored = session.scalar(query)
    if stored is None:
        raise NotFound("no stored report of that table and month", field="period")
    return stored


def _below(stored: StoredReport, table: Table) -> bool:
    """Built below the table's threshold now (or naming none), or with an older suppression:
    it may not be shown."""
    before = stored_threshold(stored.body)
    return (before is None or before < table.small_cell_threshold
            or stored_method(stored.body) < suppression.METHOD)


def stored_method(body: dict[str, Any]) -> int:
    """The suppression a stored body was made with (1: before the body said)."""
    scope = body.get("scope")
    value = scope.get("suppression_method") if isinstance(scope, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


def stored_threshold(body: dict[str, Any]) -> int | None:
    """The small-cell threshold a stored body was built with (None if it names none)."""
    scope = body.get("scope")
    value = scope.get("threshold") if isinstance(scope, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _rebuild_of(body: dict[str, Any]) -> Rebuild | None:
    """The rebuild that wrote this body, if one did."""
    mark = body.get(_REBUILT_KEY)
    if not isinstance(mark, dict):
        return None
    before = mark.get("threshold_before")
    return Rebuild(datetime.fromisoformat(str(mark["at"])),
                   before if isinstance(before, int) else None, int(mark.get("threshold", 0)))
