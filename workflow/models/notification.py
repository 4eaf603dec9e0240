"""What the dispatcher makes of outbox events: deliveries, inbox items and preferences.

One outbox event fans out into one `Delivery` per recipient and channel. The delivery's
`dedupe_key` is unique, so fanning the same event out twice (a crash, a second dispatcher)
cannot create a second delivery, and the key travels with the message (Message-ID, webhook
header) so that a receiver can recognise a resend. Nothing here holds identity or free text:
a delivery points at its event, whose payload is de-identified by construction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from workflow.models.base import Base, utcnow

DELIVERY_STATUSES = ("queued", "sending", "sent", "failed", "dead")
CADENCES = ("immediate", "daily_digest")
_STATUS_LIST = ",".join(f"'{s}'" for s in DELIVERY_STATUSES)
_CADENCE_LIST = ",".join(f"'{c}'" for c in CADENCES)


class Delivery(Base):
    """One message owed to one recipient over one channel, and how sending it went.

    `sending` with `claimed_until` is a lease: a dispatcher that dies mid-send leaves the row to
    be claimed again once the lease runs out (at-least-once; the dedupe key makes it visible).
    """

    __tablename__ = "notification_deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id", ondelete="CASCADE"),
                                          index=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient_kind: Mapped[str] = mapped_column(String(8))
    recipient_id: Mapped[int] = mapped_column()
    address: Mapped[str] = mapped_column(String(500), default="")
    language: Mapped[str] = mapped_column(String(5), default="en")
    digest: Mapped[bool] = mapped_column(default=False)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None] = mapped_column()
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUS_LIST})", name="delivery_status_known"),
        CheckConstraint("recipient_kind IN ('agency','user')", name="recipient_kind_known"),
        CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        Index("ix_delivery_due", "digest", "status", "next_attempt_at"),
    )


class InboxItem(Base):
    """A notification in a user's in-app inbox: a title and a link, never situation content."""

    __tablename__ = "inbox_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_events.id", ondelete="SET NULL"))
    event_type: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    link: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        UniqueConstraint("user_id", "event_id", name="uq_inbox_user_event"),
        Index("ix_inbox_user_unread", "user_id", "read_at"),
    )


class NotificationPreference(Base):
    """An agency's or a user's choice for one channel; no row means the default applies."""

    __tablename__ = "notification_preferences"
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(default=True)
    cadence: Mapped[str] = mapped_column(String(16), default="immediate")
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("(agency_id IS NULL) <> (user_id IS NULL)", name="one_owner"),
        CheckConstraint(f"cadence IN ({_CADENCE_LIST})", name="cadence_known"),
        Index("uq_preference_agency_channel", "agency_id", "channel", unique=True,
              postgresql_where=text("agency_id IS NOT NULL"),
              sqlite_where=text("agency_id IS NOT NULL")),
        Index("uq_preference_user_channel", "user_id", "channel", unique=True,
              postgresql_where=text("user_id IS NOT NULL"),
              sqlite_where=text("user_id IS NOT NULL")),
    )
