"""Meetings of a table: attendance and the agenda."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.models.base import Base, utcnow
from workflow.models.directory import Agency, Table

MEETING_STATUSES = ("planned", "open", "closed")


class Meeting(Base):
    __tablename__ = "meetings"
    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("tables.id"))
    scheduled_at: Mapped[datetime] = mapped_column()
    place: Mapped[str] = mapped_column(String(200), default="")
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(10), default="planned")  # MEETING_STATUSES
    agenda_prepared_at: Mapped[datetime | None] = mapped_column()
    opened_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    table: Mapped[Table] = relationship()
    attendance: Mapped[list[Attendance]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="AgendaItem.position"
    )

    __table_args__ = (
        CheckConstraint("status IN ('planned','open','closed')", name="status_known"),
        # also the index of a table's meetings by time
        UniqueConstraint("table_id", "scheduled_at", name="uq_meeting_slot"),
    )

    def present_agency_ids(self) -> set[int]:
        return {a.agency_id for a in self.attendance if a.present}


class Attendance(Base):
    __tablename__ = "attendance"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    present: Mapped[bool] = mapped_column(default=True)
    confidentiality_ack: Mapped[bool] = mapped_column(default=False)
    apologies_note: Mapped[str] = mapped_column(Text, default="")

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    agency: Mapped[Agency] = relationship()
    __table_args__ = (UniqueConstraint("meeting_id", "agency_id", name="uq_attendance"),)


class AgendaItem(Base):
    """A situation on a meeting's agenda: new ones first, then report-backs."""

    __tablename__ = "agenda_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"),
                                              index=True)
    kind: Mapped[str] = mapped_column(String(12))
    position: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str | None] = mapped_column(String(30))

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")
    __table_args__ = (
        UniqueConstraint("meeting_id", "situation_id", name="uq_agenda_item"),
        CheckConstraint("kind IN ('new','report_back')", name="kind_known"),
    )
