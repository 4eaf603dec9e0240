"""Operational records: when each scheduled flow last ran, and stored reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow.models.base import Base, utcnow


class FlowRunRecord(Base):
    __tablename__ = "flow_runs"
    flow_name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column()
    last_finished_at: Mapped[datetime | None] = mapped_column()
    last_ok: Mapped[bool | None] = mapped_column()
    last_message: Mapped[str] = mapped_column(Text, default="")
    runs: Mapped[int] = mapped_column(default=0)
    # the most recent failure, kept after later successes: its exception class, and when
    last_error: Mapped[str | None] = mapped_column(String(80))
    last_failed_at: Mapped[datetime | None] = mapped_column()


class StoredReport(Base):
    """A monthly outcome report per table, kept for managers (de-identified aggregates only)."""

    __tablename__ = "stored_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("tables.id"))
    period: Mapped[str] = mapped_column(String(7))
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("table_id", "period", name="uq_report_period"),)
