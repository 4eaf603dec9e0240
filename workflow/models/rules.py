"""What the rule packs did to a situation: firings, deadlines and flags, with the pack version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from workflow.models.base import Base, utcnow


class RulePackRecord(Base):
    """A pack version as installed: its text is kept so history can always be explained."""

    __tablename__ = "rule_packs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(Text)
    installed_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("name", "version", name="uq_rule_pack_version"),)


class RuleFiring(Base):
    """One rule applying once. `occurrence` makes timer rules fire once per occurrence."""

    __tablename__ = "rule_firings"
    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(100))
    pack_name: Mapped[str] = mapped_column(String(100))
    pack_version: Mapped[str] = mapped_column(String(40))
    trigger: Mapped[str] = mapped_column(String(60))
    occurrence: Mapped[str] = mapped_column(String(120))
    explanation: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[list[Any]] = mapped_column(default=list)
    fired_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        # also the index of a situation's firings
        UniqueConstraint("situation_id", "rule_id", "occurrence", name="uq_rule_occurrence"),
    )


class Deadline(Base):
    """A due date set by a rule (first contact, emergency protection, report-back, ...)."""

    __tablename__ = "deadlines"
    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime] = mapped_column()
    rule_id: Mapped[str] = mapped_column(String(100), default="")
    met_at: Mapped[datetime | None] = mapped_column()
    overdue_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("situation_id", "kind", name="uq_deadline_kind"),
        # The sweep reads only open, not-yet-flagged deadlines: its cost follows them alone.
        Index(
            "ix_deadlines_pending",
            "due_at",
            postgresql_where=text("met_at IS NULL AND overdue_at IS NULL"),
            sqlite_where=text("met_at IS NULL AND overdue_at IS NULL"),
        ),
    )


class Flag(Base):
    """Shown to the table until a chair clears it."""

    __tablename__ = "flags"
    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(60))
    label_en: Mapped[str] = mapped_column(String(300), default="")
    label_vi: Mapped[str] = mapped_column(String(300), default="")
    rule_id: Mapped[str] = mapped_column(String(100), default="")
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column()
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (Index("ix_flags_situation", "situation_id"),)
