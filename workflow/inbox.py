"""A user's in-app inbox: what the dispatcher put there, and what the user has read.

An item is a title and a link, rendered in the user's language from the de-identified event;
one per user and event (a resend finds it already there).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workflow.db import is_postgres
from workflow.errors import NotFound, ValidationError
from workflow.models import InboxItem, User, utcnow

PAGE_LIMIT = 200


def deliver(session: Session, *, user_id: int, event_id: int, event_type: str, title: str,
            link: str, now: datetime | None = None) -> bool:
    """Put one item in a user's inbox; False if this event was already there."""
    dialect = postgresql if is_postgres(session) else sqlite
    inserted = session.scalars(
        dialect.insert(InboxItem)
        .values(user_id=user_id, event_id=event_id, event_type=event_type, title=title[:300],
                link=link[:500], created_at=now or utcnow())
        .on_conflict_do_nothing(index_elements=["user_id", "event_id"])
        .returning(InboxItem.id)).first()
    return inserted is not None


def list_items(session: Session, user: User, *, unread_only: bool = False, limit: int = 50,
               before_id: int | None = None) -> list[InboxItem]:
    """The user's items, newest first; page with `before_id` (the last id of the page)."""
    if not 1 <= limit <= PAGE_LIMIT:
        raise ValidationError("ask for 1 to %(PAGE_LIMIT)s items at a time", field="limit",
                              PAGE_LIMIT=PAGE_LIMIT)
    query = select(InboxItem).where(InboxItem.user_id == user.id)
    if unread_only:
        query = query.where(InboxItem.read_at.is_(None))
    if before_id is not None:
        query = query.where(InboxItem.id < before_id)
    return list(session.scalars(query.order_by(InboxItem.id.desc()).limit(limit)))


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(InboxItem).where(
        InboxItem.user_id == user.id, InboxItem.read_at.is_(None))) or 0


def mark_read(session: Session, user: User, item_id: int, *, now: datetime | None = None
              ) -> InboxItem:
    """Mark one of the user's own items read (another user's item looks like a missing one)."""
    item = session.get(InboxItem, item_id)
    if item is None or item.user_id != user.id:
        raise NotFound(f"no inbox item {item_id} of yours")
    if item.read_at is None:
        item.read_at = now or utcnow()
    return item


def mark_all_read(session: Session, user: User, *, now: datetime | None = None) -> int:
    return len(list(session.scalars(
        update(InboxItem).where(InboxItem.user_id == user.id, InboxItem.read_at.is_(None))
        .values(read_at=now or utcnow()).returning(InboxItem.id)
        .execution_options(synchronize_session=False))))
