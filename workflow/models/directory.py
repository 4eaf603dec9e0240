"""Tables, agencies and their membership: who sits at which table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.models.base import Base, utcnow


class Table(Base):
    """A standing group of agencies in one community that meets on a schedule."""

    __tablename__ = "tables"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    subdivision: Mapped[str | None] = mapped_column(String(8))
    region: Mapped[str] = mapped_column(String(100), default="")
    language: Mapped[str] = mapped_column(String(5), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # iCalendar-like weekly schedule: weekday 0=Monday, local time "HH:MM", place
    meeting_weekday: Mapped[int] = mapped_column(default=1)
    meeting_time: Mapped[str] = mapped_column(String(5), default="10:00")
    meeting_place: Mapped[str] = mapped_column(String(200), default="")
    retention_days: Mapped[int] = mapped_column(default=90)
    small_cell_threshold: Mapped[int] = mapped_column(default=5)
    rule_pack_name: Mapped[str] = mapped_column(String(100), default="ontario-four-filter")
    rule_pack_version: Mapped[str] = mapped_column(String(40), default="1.0")
    targets: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[TableMembership]] = relationship(back_populates="table")

    __table_args__ = (
        CheckConstraint("retention_days >= 0", name="retention_nonnegative"),
        CheckConstraint("small_cell_threshold >= 1", name="threshold_positive"),
        CheckConstraint("meeting_weekday BETWEEN 0 AND 6", name="weekday_range"),
    )


class Agency(Base):
    """An organisation with a sector; users belong to exactly one."""

    __tablename__ = "agencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str] = mapped_column(String(40))
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(5), default="en")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[TableMembership]] = relationship(back_populates="agency")


class TableMembership(Base):
    __tablename__ = "table_memberships"
    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("tables.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))

    table: Mapped[Table] = relationship(back_populates="members")
    agency: Mapped[Agency] = relationship(back_populates="memberships")

    __table_args__ = (UniqueConstraint("table_id", "agency_id", name="uq_membership"),)
