"""The situation aggregate: a de-identified record, its factors, agencies, tasks and history.

Identity never lives here: see workflow/models/identity.py.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.models.base import Base, utcnow
from workflow.models.directory import Agency, Table

STAGES = (
    "draft",
    "submitted",
    "on_agenda",
    "presented",
    "accepted",
    "rejected",
    "disclosed",
    "intervention",
    "closed",
    "withdrawn",
)
_STAGE_LIST = ",".join(f"'{s}'" for s in STAGES)
#: Closures the follow-up sweep has still to look at (workflow/follow_up.py).
UNSETTLED = "stage = 'closed' AND NOT follow_up_settled"


class Situation(Base):
    __tablename__ = "situations"
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(40), unique=True)
    # found through ix_situations_table_stage, which leads with it
    table_id: Mapped[int] = mapped_column(ForeignKey("tables.id"))
    originating_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    stage: Mapped[str] = mapped_column(String(20), default="draft")
    version: Mapped[int] = mapped_column(default=1)

    # Filter 1: de-identified facts
    situation_type: Mapped[str] = mapped_column(String(20))
    age_group: Mapped[str] = mapped_column(String(10))
    gender: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(Text, default="")
    persons_count: Mapped[int] = mapped_column(default=1)
    options_exhausted: Mapped[bool | None] = mapped_column()
    needs_multiple_agencies: Mapped[bool | None] = mapped_column()
    harm_probable_imminent: Mapped[bool | None] = mapped_column()
    consent: Mapped[str | None] = mapped_column(String(20))
    help_source: Mapped[str | None] = mapped_column(String(30))
    screening_answers: Mapped[dict[str, Any] | None] = mapped_column()
    screening_score: Mapped[int | None] = mapped_column()
    taxonomy_version: Mapped[str] = mapped_column(String(20))
    previous_situation_id: Mapped[int | None] = mapped_column(ForeignKey("situations.id"))

    # Filter 2
    decided_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    rejection_reason: Mapped[str | None] = mapped_column(String(30))
    rejection_note: Mapped[str | None] = mapped_column(Text)
    # Filter 4
    lead_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    first_contact_due: Mapped[datetime | None] = mapped_column()
    first_contact_at: Mapped[datetime | None] = mapped_column()
    # Closure
    conclusion_reason: Mapped[str | None] = mapped_column(String(30))
    withdrawal_reason: Mapped[str | None] = mapped_column(String(30))
    withdrawal_note: Mapped[str | None] = mapped_column(Text)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column()
    presented_at: Mapped[datetime | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    accepted_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    #: The follow-up sweep has dealt with this closure (asked its lead, or nothing to ask):
    #: the sweep reads only unsettled closures (a partial index), never the whole history.
    follow_up_settled: Mapped[bool] = mapped_column(default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    identity_purged_at: Mapped[datetime | None] = mapped_column()

    table: Mapped[Table] = relationship()
    originating_agency: Mapped[Agency] = relationship(foreign_keys=[originating_agency_id])
    lead_agency: Mapped[Agency | None] = relationship(foreign_keys=[lead_agency_id])
    risk_factors: Mapped[list[SituationRiskFactor]] = relationship(
        back_populates="situation", cascade="all, delete-orphan", order_by="SituationRiskFactor.id"
    )
    involvements: Mapped[list[Involvement]] = relationship(
        back_populates="situation", cascade="all, delete-orphan"
    )
    grants: Mapped[list[DisclosureGrant]] = relationship(
        back_populates="situation", cascade="all, delete-orphan"
    )
    tasks: Mapped[list[Task]] = relationship(
        back_populates="situation", cascade="all, delete-orphan", order_by="Task.id"
    )
    report_backs: Mapped[list[ReportBack]] = relationship(
        back_populates="situation", cascade="all, delete-orphan", order_by="ReportBack.id"
    )
    transitions: Mapped[list[Transition]] = relationship(
        back_populates="situation", cascade="all, delete-orphan", order_by="Transition.id"
    )
    services: Mapped[list[SituationService]] = relationship(
        back_populates="situation", cascade="all, delete-orphan"
    )
    protective_factors: Mapped[list[SituationProtectiveFactor]] = relationship(
        back_populates="situation", cascade="all, delete-orphan"
    )

    #: The version checks every UPDATE (optimistic locking) but moves once per transaction, not
    #: once per flush: workflow.transitions bumps it on the first change (a command is one
    #: transaction, so a page's expected_version is off by exactly one after any command).
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
    __table_args__ = (
        CheckConstraint(f"stage IN ({_STAGE_LIST})", name="stage_known"),
        CheckConstraint("persons_count >= 1", name="persons_positive"),
        CheckConstraint(
            "stage <> 'rejected' OR rejection_reason IS NOT NULL", name="rejected_has_reason"
        ),
        CheckConstraint(
            "stage <> 'closed' OR conclusion_reason IS NOT NULL", name="closed_has_conclusion"
        ),
        Index("ix_situations_table_stage", "table_id", "stage"),
        Index("ix_situations_table_presented", "table_id", "presented_at"),
        Index("ix_situations_follow_up_unsettled", "table_id", "closed_at",
              postgresql_where=text(UNSETTLED), sqlite_where=text(UNSETTLED)),
    )

    @property
    def is_open(self) -> bool:
        return self.stage not in ("closed", "rejected", "withdrawn")

    @property
    def assisting_agency_ids(self) -> list[int]:
        return [i.agency_id for i in self.involvements if i.role == "assisting"]

    @property
    def granted_agency_ids(self) -> set[int]:
        return {g.agency_id for g in self.grants if g.revoked_at is None}


class SituationRiskFactor(Base):
    __tablename__ = "situation_risk_factors"
    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"))
    factor_code: Mapped[str] = mapped_column(String(80))
    category_code: Mapped[str] = mapped_column(String(40))
    is_aer_reason: Mapped[bool] = mapped_column(default=False)

    situation: Mapped[Situation] = relationship(back_populates="risk_factors")
    __table_args__ = (
        UniqueConstraint("situation_id", "factor_code", name="uq_situation_factor"),
        Index("ix_srf_category", "category_code"),
    )


class SituationProtectiveFactor(Base):
    __tablename__ = "situation_protective_factors"
    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"))
    factor_code: Mapped[str] = mapped_column(String(80))

    situation: Mapped[Situation] = relationship(back_populates="protective_factors")
    __table_args__ = (UniqueConstraint("situation_id", "factor_code", name="uq_situation_pf"),)


class SituationService(Base):
    """A service mobilised for the situation (recorded at report-back or closure)."""

    __tablename__ = "situation_services"
    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"))
    service_code: Mapped[str] = mapped_column(String(40))

    situation: Mapped[Situation] = relationship(back_populates="services")
    __table_args__ = (UniqueConstraint("situation_id", "service_code", name="uq_situation_svc"),)


class SituationFormToken(Base):
    """The one-time token of the form (or the API's Idempotency-Key) that drafted a situation:
    a second POST of the same form finds that situation instead of making another (the token
    is the key). A table of its own, written once: a situation's many updates never touch it."""

    __tablename__ = "situation_form_tokens"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"))


class Involvement(Base):
    """An agency's part in the intervention: the one lead, or assisting."""

    __tablename__ = "involvements"
    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))

    situation: Mapped[Situation] = relationship(back_populates="involvements")
    agency: Mapped[Agency] = relationship()
    __table_args__ = (
        UniqueConstraint("situation_id", "agency_id", name="uq_involvement"),
        CheckConstraint("role IN ('lead','assisting')", name="role_known"),
    )


class DisclosureGrant(Base):
    """Filter 3: the table's decision that this agency may see the limited identity."""

    __tablename__ = "disclosure_grants"
    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    #: On what ground: a code of the table's pack (consent, or a named legal authority).
    legal_basis: Mapped[str] = mapped_column(String(60))

    situation: Mapped[Situation] = relationship(back_populates="grants")
    agency: Mapped[Agency] = relationship()
    __table_args__ = (UniqueConstraint("situation_id", "agency_id", name="uq_grant"),)


class Task(Base):
    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"),
                                              index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    due_date: Mapped[date | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), default="open")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()

    situation: Mapped[Situation] = relationship(back_populates="tasks")
    agency: Mapped[Agency] = relationship()
    __table_args__ = (
        CheckConstraint("status IN ('open','done','not_done')", name="status_known"),
        CheckConstraint("status <> 'not_done' OR note <> ''", name="not_done_explained"),
    )


class ReportBack(Base):
    __tablename__ = "report_backs"
    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"),
                                              index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    progress_note: Mapped[str] = mapped_column(Text, default="")
    first_contact_made: Mapped[bool] = mapped_column(default=False)
    still_aer: Mapped[bool] = mapped_column(default=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    situation: Mapped[Situation] = relationship(back_populates="report_backs")


class Transition(Base):
    """Who moved the situation, when, from where to where, at which meeting, and why."""

    __tablename__ = "transitions"
    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(
        ForeignKey("situations.id", ondelete="CASCADE"), index=True
    )
    command: Mapped[str] = mapped_column(String(20))
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    reason: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    situation: Mapped[Situation] = relationship(back_populates="transitions")
