"""Optional, consent-based, self-identified equity data at filter 1: one code per dimension.

Kept apart from the situation record so that no query of the record, no page and no export
reads it by accident: only the presenting agency's own view and the suppressed aggregates of
workflow/reports/equity.py select from it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workflow.models.base import Base, utcnow


class EquityAnswer(Base):
    __tablename__ = "equity_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    # found by its unique key, which leads with the situation
    situation_id: Mapped[int] = mapped_column(ForeignKey("situations.id", ondelete="CASCADE"))
    dimension: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("situation_id", "dimension", name="uq_equity_answer"),)
