"""Writing domain events to the outbox, in the caller's transaction.

The payload is built here from an allow-list of de-identified fields, so no caller can put a
name, a birth date, an address, a phone or a free-text summary into a notification.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from workflow import appends
from workflow.models import OutboxEvent, Situation, utcnow

EVENT_TYPES = frozenset(
    {
        "situation.submitted",
        "situation.on_agenda",
        "situation.accepted",
        "situation.rejected",
        "situation.disclosed",
        "situation.lead_assigned",
        "situation.assisting_assigned",
        # an agency's part in a plan ended when the chair changed it (workflow.replan)
        "situation.unassigned",
        "situation.closed",
        "situation.withdrawn",
        "task.assigned",
        "deadline.due_soon",
        "deadline.overdue",
        "situation.escalated",
        "situation.flagged",
        "meeting.agenda_ready",
        "rule.notify",
        "directory.changed",
        "linkage.contact_requested",
        "round.opened",
        "round.decided",
        "follow_up.due",
        # an agency's access ended or came back; the chairs, what it leaves (agency_notices)
        "agency.deactivated",
        "agency.reactivated",
        "table.agency_deactivated",
    }
)

_ALLOWED_EXTRA = frozenset(
    {"deadline_kind", "due_at", "flag_code", "rule_id", "meeting_at", "situations_count",
     "task_due", "stage_from", "rule_event", "conclusion_reason", "rejection_reason",
     "change", "requesting_table", "closes_at", "round_outcome",
     # a table's privacy settings as they now stand (workflow.administration.update_privacy)
     "retention_days", "small_cell_threshold",
     # the rule pack's own words in each language: configuration, never about a person
     "rule_label_en", "rule_label_vi", "flag_label_en", "flag_label_vi",
     "escalation_message_en", "escalation_message_vi",
     # an agency's name (never a person's), and its open work as references and parts
     "agency_name", "open_work",
     # the part an agency had in a plan: lead | assisting (workflow.replan)
     "part"}
)
_REF = re.compile(r"[A-Z0-9][A-Z0-9-]{0,39}")  # a table code, a dash, a number: PEEL-000002
_PARTS = frozenset({"lead", "assisting"})


def _open_work(value: Any) -> list[dict[str, str]]:
    """The one list that travels (every other value is a scalar): situations an agency led
    or assisted, each exactly a reference and its part, so nothing else can ride along."""
    items = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"ref", "role"} \
                or not _REF.fullmatch(str(item["ref"])) or item["role"] not in _PARTS:
            raise ValueError("open_work holds only {'ref': reference, 'role': lead|assisting}")
        items.append({"ref": str(item["ref"]), "role": str(item["role"])})
    return items


def situation_payload(situation: Situation) -> dict[str, Any]:
    return {
        "situation_id": situation.id,
        "ref": situation.ref,
        "table_id": situation.table_id,
        "stage": situation.stage,
    }


@dataclass(frozen=True, slots=True)
class Emitted:
    """An event this transaction wrote, as the rules and the directory read it back (its row
    waits in the one write). Why not an `OutboxEvent`: building an ORM object costs about
    35 µs, and no one reads this one through the ORM."""

    event_type: str
    table_id: int | None
    situation_id: int | None
    agency_ids: list[int]
    to_chairs: bool
    payload: dict[str, Any]
    created_at: datetime


def emit(
    session: Session,
    event_type: str,
    *,
    table_id: int | None,
    situation: Situation | None = None,
    agency_ids: Iterable[int] = (),
    to_chairs: bool = False,
    extra: dict[str, Any] | None = None,
) -> Emitted:
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    payload: dict[str, Any] = situation_payload(situation) if situation else {}
    for key, value in (extra or {}).items():
        if key not in _ALLOWED_EXTRA:
            raise ValueError(f"{key!r} may not travel in a notification")
        if key == "open_work":
            payload[key] = _open_work(value)
            continue
        if key == "part" and value not in _PARTS:
            raise ValueError("part is lead or assisting, nothing else")
        payload[key] = value if isinstance(value, int | float | bool) or value is None else str(
            value
        )
    row = Emitted(event_type, table_id, situation.id if situation else None,
                  sorted(set(agency_ids)), to_chairs, payload, utcnow())
    # Append-only: it waits in the transaction's one write (workflow.appends), which sends a
    # sweep's many events as one multi-row INSERT too.
    appends.add(session, OutboxEvent, {
        "event_type": row.event_type, "table_id": row.table_id,
        "situation_id": row.situation_id, "agency_ids": row.agency_ids,
        "to_chairs": row.to_chairs, "payload": row.payload, "created_at": row.created_at})
    session.info.setdefault(_PENDING, {}).setdefault(row.situation_id, []).append(row)
    return row


def emitted_in_transaction(session: Session, situation_id: int | None = None
                           ) -> list[Emitted]:
    """Events this transaction has written so far (rules use it not to tell anyone twice),
    all of them or those about one situation."""
    pending: dict[int | None, list[Emitted]] = session.info.get(_PENDING, {})
    if situation_id is not None:
        return list(pending.get(situation_id, ()))
    return [row for rows in pending.values() for row in rows]


_PENDING = "hubtable.outbox.pending"


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop(_PENDING, None)
