"""The monthly stored report, kept per table for managers (run by the orchestration flow).

Idempotent: running it twice for the same table and month replaces the body, never adds a row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.errors import NotFound
from workflow.models import StoredReport, Table, utcnow
from workflow.reports.report import build_report
from workflow.reports.rollups import refresh_rollups
from workflow.reports.scope import month_period, resolve_scope


def store_monthly(session: Session, table_id: int, period: str, *,
                  now: datetime | None = None) -> StoredReport:
    """Build (or rebuild) the report of `period` ("YYYY-MM") for one table and keep it."""
    table = session.get(Table, table_id)
    if table is None:
        raise NotFound(f"no table {table_id}", field="table_id")
    refresh_rollups(session)  # the days changed since the last refresh; the rest is read
    scope = resolve_scope(session, month_period(period), table=table.code)
    body = build_report(session, scope, now=now).as_dict()
    stored = session.scalar(select(StoredReport).where(StoredReport.table_id == table_id,
                                                       StoredReport.period == period))
    if stored is None:
        stored = StoredReport(table_id=table_id, period=period)
        session.add(stored)
    stored.body = body
    stored.created_at = now or utcnow()
    session.flush()
    return stored
