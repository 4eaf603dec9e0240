"""Linkage tokens: keyed Bloom-filter encodings of a person's identity, never the identity.

Each row holds one person's CLK (1024 bits) and two short keyed blocking keys. All of it is
derived with the linkage key, which lives only in the key store: without it nobody can test a
guessed name against these rows. Rows die with the situation's identity at purge.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from workflow.models.base import Base, utcnow


class LinkageToken(Base):
    __tablename__ = "linkage_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    situation_id: Mapped[int] = mapped_column(
        ForeignKey("situations.id", ondelete="CASCADE"), index=True
    )
    table_id: Mapped[int] = mapped_column(ForeignKey("tables.id"))
    person: Mapped[int] = mapped_column(default=0)
    source: Mapped[str] = mapped_column(String(10))
    # the 1,024-bit key (128 bytes), then the structured fields (workflow.linkage.clk)
    clk: Mapped[bytes] = mapped_column(LargeBinary)
    block_1: Mapped[str] = mapped_column(String(16))
    block_2: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("source IN ('filter1','identity')", name="source_known"),
        Index("ix_linkage_tokens_block_1", "block_1"),
        Index("ix_linkage_tokens_block_2", "block_2"),
    )
