"""Domain events written in the same transaction as the change that caused them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from workflow.models.base import Base, utcnow


class OutboxEvent(Base):
    """A notification-worthy event. `payload` is de-identified by construction (see outbox.py).

    `audience` names who should hear of it: agency ids, and/or the table's chairs.
    """

    __tablename__ = "outbox_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_type: Mapped[str] = mapped_column(String(40))
    table_id: Mapped[int | None] = mapped_column(ForeignKey("tables.id"))
    situation_id: Mapped[int | None] = mapped_column(ForeignKey("situations.id"))
    agency_ids: Mapped[list[Any]] = mapped_column(default=list)
    to_chairs: Mapped[bool] = mapped_column(default=False)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        Index(
            "ix_outbox_unprocessed",
            "id",
            postgresql_where=text("processed_at IS NULL"),
            sqlite_where=text("processed_at IS NULL"),
        ),
    )
