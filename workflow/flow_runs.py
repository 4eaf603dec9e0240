"""When each scheduled job last ran and whether it succeeded, for /healthz and `hubtable status`.

The orchestrator (Prefect today) calls `started` and `finished` around each run; the record is
kept in the application database so the answer survives a restart of the orchestrator and is
readable without it. Messages are short and never carry identity: callers pass counts and
exception class names, not exception texts that could quote data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.models import FlowRunRecord, utcnow

MESSAGE_LIMIT = 500


@dataclass(frozen=True)
class FlowRunStatus:
    flow_name: str
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_ok: bool | None
    last_message: str
    runs: int
    last_error: str | None = None
    last_failed_at: datetime | None = None

    @property
    def running(self) -> bool:
        """Started and not finished since (or still running when the process died)."""
        if self.last_started_at is None:
            return False
        return self.last_finished_at is None or self.last_finished_at < self.last_started_at

    def as_dict(self) -> dict[str, object]:
        return {
            "last_started_at": _iso(self.last_started_at),
            "last_finished_at": _iso(self.last_finished_at),
            "last_ok": self.last_ok,
            "last_message": self.last_message,
            "runs": self.runs,
            "running": self.running,
            "last_error": self.last_error,
            "last_failed_at": _iso(self.last_failed_at),
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _row(session: Session, flow_name: str) -> FlowRunRecord:
    """The flow's record, created on first use; two first runs at once both succeed."""
    row = session.get(FlowRunRecord, flow_name)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = FlowRunRecord(flow_name=flow_name, runs=0, last_message="")
            session.add(row)
            session.flush()
        return row
    except IntegrityError:
        row = session.get(FlowRunRecord, flow_name, populate_existing=True)
        assert row is not None
        return row


def started(session: Session, flow_name: str, *, now: datetime | None = None) -> None:
    row = _row(session, flow_name)
    row.last_started_at = now or utcnow()
    row.runs = (row.runs or 0) + 1


def finished(session: Session, flow_name: str, *, ok: bool, message: str = "",
             error: str | None = None, now: datetime | None = None) -> None:
    """`error` is the failure's class name (an exception's, or e.g. "DeliveryFailed")."""
    row = _row(session, flow_name)
    row.last_finished_at = now or utcnow()
    row.last_ok = ok
    row.last_message = message[:MESSAGE_LIMIT]
    if not ok:
        row.last_error = (error or "Failed")[:80]
        row.last_failed_at = row.last_finished_at


def statuses(session: Session) -> list[FlowRunStatus]:
    rows = session.scalars(select(FlowRunRecord).order_by(FlowRunRecord.flow_name))
    return [
        FlowRunStatus(r.flow_name, r.last_started_at, r.last_finished_at, r.last_ok,
                      r.last_message or "", r.runs or 0, r.last_error, r.last_failed_at)
        for r in rows
    ]
