"""From outbox events to delivered messages: fan-out, claiming, outcomes, dead letters.

The dispatcher (notifications/) sends; this module owns every row it writes. Each step is a
short transaction so that no lock is held while a message travels over the network:
1. `expand_events` claims unprocessed events and writes one delivery per recipient and
   channel, marking the events processed in the same transaction (a crash redoes both or
   neither; the unique dedupe key stops a second fan-out of the same event anyway);
2. `claim_due` leases due deliveries to one dispatcher (`FOR UPDATE SKIP LOCKED` on
   PostgreSQL, so concurrent dispatchers take disjoint rows; SQLite serialises writers and the
   claiming UPDATE is the transaction's first statement, so it holds the write lock at once);
3. `record_outcomes` marks them sent, or failed with exponential backoff, or dead after
   `MAX_ATTEMPTS`; `requeue_dead` gives dead ones a new chance.
A lease is short (LEASE) and renewed by a living dispatcher before each send (`renew`): one
that dies mid-batch leaves its rows claimable again within LEASE, not minutes later. Delivery
is at-least-once (only a message in flight at the crash can go twice), and the dedupe key
travels with each message as its Message-ID.
Who a delivery is owed to is decided again when it is claimed (a digest waits until morning, a
retry its backoff): a recipient deactivated, moved to another agency or opted out since is
owed nothing and the delivery is withdrawn (deleted); the address, language and webhook URL
are those of the day it is sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workflow import access
from workflow.db import is_postgres
from workflow.models import (
    Delivery,
    NotificationPreference,
    OutboxEvent,
    Table,
    User,
    utcnow,
)
from workflow.notification_preferences import Route, Router

MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
LEASE = timedelta(seconds=30)
RENEW_AFTER = timedelta(seconds=10)  # renew well before the lease could run out
DIGEST_HOUR = 7  # local time of the event's table: the daily digest arrives before work
ERROR_LIMIT = 500


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` failures: 1, 2, 4 ... minutes, capped."""
    return min(BACKOFF_BASE * int(2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def next_digest_at(after: datetime, timezone: str | None) -> datetime:
    """The next DIGEST_HOUR o'clock in the table's timezone, strictly after `after`."""
    zone = _zone(timezone)
    local = after.astimezone(zone)
    slot = datetime.combine(local.date(), time(DIGEST_HOUR), tzinfo=zone)
    if slot <= local:
        slot = datetime.combine(local.date() + timedelta(days=1), time(DIGEST_HOUR), tzinfo=zone)
    return slot.astimezone(after.tzinfo)


def dedupe_key(event_id: int, channel: str, recipient_kind: str, recipient_id: int) -> str:
    return f"{event_id}/{channel}/{recipient_kind}:{recipient_id}"


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> None:
    dialect = postgresql if is_postgres(session) else sqlite
    session.execute(
        dialect.insert(Delivery).on_conflict_do_nothing(index_elements=["dedupe_key"]), rows)


def expand_events(session: Session, *, limit: int = 200, now: datetime | None = None) -> int:
    """Claim up to `limit` unprocessed events and fan each out into its deliveries."""
    now = now or utcnow()
    pending = (select(OutboxEvent.id).where(OutboxEvent.processed_at.is_(None))
               .order_by(OutboxEvent.id).limit(limit))
    if is_postgres(session):
        pending = pending.with_for_update(skip_locked=True)
    ids = list(session.scalars(
        update(OutboxEvent).where(OutboxEvent.id.in_(pending.scalar_subquery()))
        .values(processed_at=now).returning(OutboxEvent.id)
        .execution_options(synchronize_session=False)))
    if not ids:
        return 0
    events = list(session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(ids))
                                  .order_by(OutboxEvent.id)))
    table_ids = {e.table_id for e in events if e.table_id is not None}
    zones = dict(session.execute(select(Table.id, Table.timezone).where(Table.id.in_(table_ids)))
                 .tuples().all())
    router = Router(session, events)
    rows = []
    for event in events:
        for route in router.routes(event):
            due = (next_digest_at(event.created_at or now, zones.get(event.table_id or 0))
                   if route.digest else now)
            rows.append(dict(
                event_id=event.id, channel=route.channel, recipient_kind=route.recipient_kind,
                recipient_id=route.recipient_id, address=route.address, language=route.language,
                digest=route.digest, status="queued", attempts=0, next_attempt_at=due,
                created_at=now,
                dedupe_key=dedupe_key(event.id, route.channel, route.recipient_kind,
                                      route.recipient_id)))
    if rows:
        _insert_ignoring_duplicates(session, rows)
    return len(ids)


@dataclass(frozen=True)
class DeliveryWork:
    """Everything a channel needs to send one delivery, as plain data (no ORM object)."""

    delivery_id: int
    dedupe_key: str
    channel: str
    recipient_kind: str
    recipient_id: int
    address: str
    language: str
    digest: bool
    event_id: int
    event_type: str
    occurred_at: datetime
    situation_id: int | None
    table_id: int | None
    table_code: str
    table_name: str
    table_timezone: str
    payload: dict[str, Any]
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Claim:
    token: str
    work: list[DeliveryWork]
    withdrawn: int = 0  # claimed deliveries no longer owed to anyone, deleted unsent


#: A delivery claimed this soon after its fan-out was routed moments ago: routing it again
#: (five queries a batch) would cost a fast SMTP server a tenth of its throughput for nothing.
FRESH = timedelta(seconds=60)


def _still_owed(session: Session, rows: list[Any], now: datetime
                ) -> tuple[list[Any], dict[int, Route], int]:
    """The claimed rows still owed, each with its route as preferences, memberships and
    addresses stand now; the others are deleted (how many is the third value). Only rows that
    waited (a digest, a retry, one queued more than FRESH ago) are routed again."""
    waited = [r for r in rows if r.digest or r.attempts or r.queued_at < now - FRESH]
    owed = {r.id: Route(r.channel, r.recipient_kind, r.recipient_id, r.address, r.language,
                        r.digest) for r in rows}
    if not waited:
        return rows, owed, 0
    events = list(session.scalars(select(OutboxEvent).where(
        OutboxEvent.id.in_({r.event_id for r in waited}))))
    router = Router(session, events)
    routes = {(e.id, r.channel, r.recipient_kind, r.recipient_id): r
              for e in events for r in router.routes(e)}
    gone = []
    for r in waited:
        route = routes.get((r.event_id, r.channel, r.recipient_kind, r.recipient_id))
        if route is None:
            gone.append(r.id)
            del owed[r.id]
            continue
        owed[r.id] = route
        if (route.address, route.language) != (r.address, r.language):
            # the row shows where it goes now (the dead letters page reads it)
            session.execute(update(Delivery).where(Delivery.id == r.id)
                            .values(address=route.address, language=route.language)
                            .execution_options(synchronize_session=False))
    if gone:
        session.execute(delete(Delivery).where(Delivery.id.in_(gone))
                        .execution_options(synchronize_session=False))
    return [r for r in rows if r.id in owed], owed, len(gone)


def claim_due(session: Session, *, digest: bool = False, limit: int = 200,
              now: datetime | None = None, lease: timedelta = LEASE) -> Claim:
    """Lease up to `limit` due deliveries (immediate, or digest ones) to this dispatcher."""
    now = now or utcnow()
    token = str(uuid.uuid4())
    due = (select(Delivery.id).where(
        Delivery.digest.is_(digest),
        or_(and_(Delivery.status.in_(("queued", "failed")), Delivery.next_attempt_at <= now),
            and_(Delivery.status == "sending", Delivery.claimed_until < now)))
           .order_by(Delivery.channel, Delivery.recipient_kind, Delivery.recipient_id,
                     Delivery.id)
           .limit(limit))
    if is_postgres(session):
        due = due.with_for_update(skip_locked=True)
    ids = list(session.scalars(
        update(Delivery).where(Delivery.id.in_(due.scalar_subquery()))
        .values(status="sending", claimed_by=token, claimed_until=now + lease)
        .returning(Delivery.id).execution_options(synchronize_session=False)))
    if not ids:
        return Claim(token, [])
    # plain columns, not ORM objects: this runs for every message sent
    rows = session.execute(
        select(Delivery.id, Delivery.dedupe_key, Delivery.channel, Delivery.recipient_kind,
               Delivery.recipient_id, Delivery.address, Delivery.language, Delivery.digest,
               Delivery.attempts, Delivery.created_at.label("queued_at"),
               OutboxEvent.id.label("event_id"), OutboxEvent.event_type,
               OutboxEvent.created_at, OutboxEvent.situation_id, OutboxEvent.table_id,
               OutboxEvent.payload, Table.code, Table.name, Table.timezone)
        .join(OutboxEvent, OutboxEvent.id == Delivery.event_id)
        .outerjoin(Table, Table.id == OutboxEvent.table_id)
        .where(Delivery.id.in_(ids))
        .order_by(Delivery.channel, Delivery.recipient_kind, Delivery.recipient_id, Delivery.id)
    ).all()
    rows, owed, withdrawn = _still_owed(session, list(rows), now)
    webhook_agencies = {r.recipient_id for r in rows if r.channel == "webhook"}
    secrets = dict(session.execute(
        select(NotificationPreference.agency_id, NotificationPreference.webhook_secret).where(
            NotificationPreference.agency_id.in_(webhook_agencies),
            NotificationPreference.channel == "webhook")).tuples().all())
    work = [DeliveryWork(
        delivery_id=r.id, dedupe_key=r.dedupe_key, channel=r.channel,
        recipient_kind=r.recipient_kind, recipient_id=r.recipient_id,
        address=owed[r.id].address, language=owed[r.id].language, digest=r.digest,
        event_id=r.event_id, event_type=r.event_type,
        occurred_at=r.created_at, situation_id=r.situation_id, table_id=r.table_id,
        table_code=r.code or "", table_name=r.name or "", table_timezone=r.timezone or "UTC",
        payload=dict(r.payload or {}),
        secret=secrets.get(r.recipient_id) if r.channel == "webhook" else None,
    ) for r in rows]
    return Claim(token, work, withdrawn=withdrawn)


@dataclass
class OutcomeCounts:
    sent: int = 0
    failed: int = 0
    dead: int = 0


def record_outcomes(session: Session, token: str, outcomes: Mapping[int, str | None], *,
                    now: datetime | None = None) -> OutcomeCounts:
    """Apply each delivery's outcome (None = sent, else the error) if this claim still holds."""
    now = now or utcnow()
    counts = OutcomeCounts()
    sent_ids = [i for i, error in outcomes.items() if error is None]
    if sent_ids:
        counts.sent = len(list(session.scalars(
            update(Delivery).where(Delivery.id.in_(sent_ids), Delivery.claimed_by == token)
            .values(status="sent", sent_at=now, last_attempt_at=now, claimed_by=None,
                    claimed_until=None, attempts=Delivery.attempts + 1)
            .returning(Delivery.id).execution_options(synchronize_session=False))))
    failed = {i: e for i, e in outcomes.items() if e is not None}
    if failed:
        for delivery in session.scalars(select(Delivery).where(
                Delivery.id.in_(failed), Delivery.claimed_by == token)):
            delivery.attempts += 1
            delivery.last_attempt_at = now
            delivery.last_error = (failed[delivery.id] or "failed")[:ERROR_LIMIT]
            delivery.claimed_by = delivery.claimed_until = None
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = "dead"
                counts.dead += 1
            else:
                delivery.status = "failed"
                delivery.next_attempt_at = now + backoff(delivery.attempts)
                counts.failed += 1
    return counts


def release(session: Session, token: str, ids: list[int]) -> int:
    """Hand claimed deliveries back unsent (due as before), e.g. when a pass runs long."""
    if not ids:
        return 0
    return len(list(session.scalars(
        update(Delivery).where(Delivery.id.in_(ids), Delivery.claimed_by == token,
                               Delivery.status == "sending")
        .values(status="queued", claimed_by=None, claimed_until=None)
        .returning(Delivery.id).execution_options(synchronize_session=False))))


def renew(session: Session, token: str, ids: list[int], *, now: datetime | None = None,
          lease: timedelta = LEASE) -> set[int]:
    """Extend this claim's lease on `ids`; returns the ids it still holds (others were lost)."""
    if not ids:
        return set()
    now = now or utcnow()
    return set(session.scalars(
        update(Delivery).where(Delivery.id.in_(ids), Delivery.claimed_by == token,
                               Delivery.status == "sending")
        .values(claimed_until=now + lease)
        .returning(Delivery.id).execution_options(synchronize_session=False)))


def latest_event_id(session: Session) -> int:
    """The newest outbox event's id (the primary key's index: cheap enough to poll)."""
    return int(session.scalar(select(func.max(OutboxEvent.id))) or 0)


def work_waiting(session: Session, *, now: datetime | None = None) -> bool:
    """Is anything for the dispatcher now: a new event, a due retry, an abandoned lease?"""
    now = now or utcnow()
    unprocessed = select(OutboxEvent.id).where(OutboxEvent.processed_at.is_(None)).limit(1)
    due = select(Delivery.id).where(
        Delivery.digest.is_(False),
        or_(and_(Delivery.status.in_(("queued", "failed")), Delivery.next_attempt_at <= now),
            and_(Delivery.status == "sending", Delivery.claimed_until < now))).limit(1)
    return (session.scalar(unprocessed) is not None) or (session.scalar(due) is not None)


@dataclass(frozen=True)
class DeadDelivery:
    """A delivery that gave up, for administrators: what, to whom, how often, and why."""

    id: int
    event_id: int
    event_type: str
    channel: str
    recipient: str
    address: str
    attempts: int
    last_attempt_at: datetime | None
    last_error: str
    status: str = "dead"
    next_attempt_at: datetime | None = None


def _require_manager(actor: User | None) -> None:
    """An actor (web UI) must be an administrator; None is the operator at the command line."""
    if actor is not None:
        access.require_permission(actor, "notifications.manage")


def list_dead(session: Session, actor: User | None = None, *, limit: int = 100,
              statuses: tuple[str, ...] = ("dead",)) -> list[DeadDelivery]:
    """Deliveries that gave up (or, with statuses=("failed", "dead"), are failing too)."""
    _require_manager(actor)
    rows = session.execute(
        select(Delivery, OutboxEvent.event_type)
        .join(OutboxEvent, OutboxEvent.id == Delivery.event_id)
        .where(Delivery.status.in_(statuses)).order_by(Delivery.id.desc()).limit(limit)
    ).tuples()
    return [DeadDelivery(
        id=d.id, event_id=d.event_id, event_type=event_type, channel=d.channel,
        recipient=f"{d.recipient_kind}:{d.recipient_id}", address=d.address,
        attempts=d.attempts, last_attempt_at=d.last_attempt_at, last_error=d.last_error or "",
        status=d.status, next_attempt_at=d.next_attempt_at,
    ) for d, event_type in rows]


def requeue_dead(session: Session, actor: User | None = None, *,
                 ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Give dead deliveries (all, or the given ones) a fresh set of attempts, due now."""
    _require_manager(actor)
    now = now or utcnow()
    where = [Delivery.status == "dead"]
    if ids is not None:
        where.append(Delivery.id.in_(ids))
    return len(list(session.scalars(
        update(Delivery).where(*where)
        .values(status="queued", attempts=0, next_attempt_at=now, claimed_by=None,
                claimed_until=None)
        .returning(Delivery.id).execution_options(synchronize_session=False))))


def delivery_counts(session: Session) -> dict[str, int]:
    """How many deliveries are in each status (for `hubtable status` and the admin page)."""
    return dict(session.execute(
        select(Delivery.status, func.count()).group_by(Delivery.status)).tuples().all())
