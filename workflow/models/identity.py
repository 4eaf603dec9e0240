"""Limited identity, stored apart and only as ciphertext (see workflow/identity.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from workflow.models.base import Base, utcnow


class IdentityRecord(Base):
    __tablename__ = "identity_records"
    situation_id: Mapped[int] = mapped_column(
        ForeignKey("situations.id", ondelete="CASCADE"), primary_key=True
    )
    nonce: Mapped[bytes] = mapped_column(LargeBinary(16))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
