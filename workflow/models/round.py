"""Decision rounds (filter 2 between meetings) and follow-up after a closure with risk lowered.

A round is another way to reach the table's accept and reject commands: when it decides, it
holds a one-sitting meeting record (`meeting_id`) under which those commands run, so the
transitions, the minutes and the audit look exactly as at a meeting, and the round says which
decisions were its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.models.base import Base, utcnow

ROUND_STATUSES = ("open", "deciding", "decided")
ROUND_OUTCOMES = ("accepted", "rejected", "next_meeting")
FOLLOW_UP_ANSWERS = ("yes", "no", "re_presented", "not_known")


class DecisionRound(Base):
    __tablename__ = "decision_rounds"
    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("tables.id"))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closes_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), default="open")  # ROUND_STATUSES
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(10))  # answers | timer
    #: the one-sitting meeting record under which the round's decisions were taken
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))

    items: Mapped[list[RoundItem]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="RoundItem.id")
    answers: Mapped[list[RoundAnswer]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="RoundAnswer.id")

    __table_args__ = (
        CheckConstraint("status IN ('open','deciding','decided')", name="status_known"),
        Index("ix_decision_rounds_due", "status", "closes_at"),
    )


class RoundItem(Base):
    """One situation in a round, and what the round decided for it."""

    __tablename__ = "round_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("decision_rounds.id", ondelete="CASCADE"))
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"),
                                              index=True)
    outcome: Mapped[str | None] = mapped_column(String(20))  # ROUND_OUTCOMES
    reason: Mapped[str | None] = mapped_column(String(40))

    round: Mapped[DecisionRound] = relationship(back_populates="items")
    __table_args__ = (UniqueConstraint("round_id", "situation_id", name="uq_round_item"),)


class RoundAnswer(Base):
    """A member agency's view of one situation in a round: de-identified, codes only."""

    __tablename__ = "round_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("decision_rounds.id", ondelete="CASCADE"))
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    aer: Mapped[bool] = mapped_column()
    #: service codes the agency can contribute (workflow/reference codes "services")
    contributes: Mapped[list[Any]] = mapped_column(default=list)
    needed_at_filter_3: Mapped[bool] = mapped_column(default=False)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)

    round: Mapped[DecisionRound] = relationship(back_populates="answers")
    __table_args__ = (
        UniqueConstraint("round_id", "situation_id", "agency_id", name="uq_round_answer"),
    )


class FollowUp(Base):
    """After a closure with risk lowered: did it stay lowered? Asked of the lead agency."""

    __tablename__ = "follow_ups"
    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"),
                                              unique=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("tables.id"))
    lead_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    due_at: Mapped[datetime] = mapped_column()
    #: reminders sent so far; the sweep raises it by compare-and-set, once per occurrence
    reminders_sent: Mapped[int] = mapped_column(default=0)
    answer: Mapped[str | None] = mapped_column(String(20))  # FOLLOW_UP_ANSWERS
    answered_at: Mapped[datetime | None] = mapped_column()
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        CheckConstraint("answer IS NULL OR answer IN ('yes','no','re_presented','not_known')",
                        name="answer_known"),
        Index("ix_follow_ups_pending", "answer", "due_at"),
    )
