"""Meetings: the schedule, the agenda (new situations, then report-backs), attendance, minutes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow import access, appends, audit, stages
from workflow.db import expire_held
from workflow.errors import DomainError, ValidationError
from workflow.models import (
    Agency,
    AgendaItem,
    Attendance,
    AuditEntry,
    Deadline,
    DisclosureGrant,
    Flag,
    Meeting,
    Situation,
    Table,
    TableMembership,
    User,
    utcnow,
)
from workflow.outbox import emit


def next_slot(table: Table, after: datetime) -> datetime:
    """The first scheduled sitting of the table at or after `after` (in the table's zone)."""
    zone = ZoneInfo(table.timezone or "UTC")
    local = after.astimezone(zone)
    hh, mm = (int(x) for x in table.meeting_time.split(":"))
    day = local.date() + timedelta(days=(table.meeting_weekday - local.weekday()) % 7)
    candidate = datetime.combine(day, time(hh, mm), tzinfo=zone)
    if candidate < local:
        candidate += timedelta(days=7)
    return candidate.astimezone(ZoneInfo("UTC"))


def upcoming_since(now: datetime) -> datetime:
    """A meeting counts as upcoming until 12 hours after its scheduled start."""
    return now - timedelta(hours=12)


def next_meeting(session: Session, table: Table, *, now: datetime | None = None) -> Meeting:
    """The next planned or open meeting of the table, created from its schedule if needed."""
    now = now or utcnow()
    with session.no_autoflush:  # meetings are flushed as they are made (below, and rounds)
        meeting = session.scalars(
            select(Meeting)
            .where(Meeting.table_id == table.id, Meeting.status != "closed",
                   Meeting.scheduled_at >= upcoming_since(now))
            .order_by(Meeting.scheduled_at)
            .limit(1)
        ).first()
    if meeting is None:
        slot = next_slot(table, now)
        # A sitting held (and closed) ahead of its scheduled time keeps its slot: take the next.
        latest_closed = session.scalar(select(func.max(Meeting.scheduled_at)).where(
            Meeting.table_id == table.id, Meeting.scheduled_at >= slot))
        if latest_closed is not None:
            slot = next_slot(table, latest_closed + timedelta(minutes=1))
        meeting = Meeting(table_id=table.id, scheduled_at=slot,
                          place=table.meeting_place, created_at=now)
        session.add(meeting)
        session.flush()
    return meeting


def enter_on_agenda(session: Session, meeting_id: int, situation_id: int, *,
                    outcome: str | None = None, keep: bool = False) -> None:
    """The situation on the meeting's agenda (at its end, if not there yet: a new situation,
    or a report-back when the outcome is a follow-up one), with the table's outcome when
    given (`keep`: only if it has none yet, so a disclosure or a plan after the acceptance
    leaves "accepted" in the minutes). One statement in the command's one write
    (workflow.appends), whatever the length of the agenda; what this session holds of the
    agenda reloads."""
    params: tuple[object, ...]
    if outcome is None:
        sql, params = _ENTER, (meeting_id, situation_id, "new", meeting_id)
    else:
        kind = "new" if outcome in DECISION_OUTCOMES else "report_back"
        sql, params = (_ENTER_KEEP if keep else _ENTER_OUTCOME), (
            meeting_id, situation_id, kind, meeting_id, outcome)
    appends.then(session, object(), sql, params, names=(AgendaItem.__tablename__,))
    expire_held(session, lambda obj: (isinstance(obj, AgendaItem)
                                      and obj.meeting_id == meeting_id))
    expire_held(session, lambda obj: isinstance(obj, Meeting) and obj.id == meeting_id,
                attributes=["agenda"])


# At its end: after the last entry, not at count + 1 (a withdrawn situation leaves the agenda,
# and a count would then put the next one before entries already there).
#: An apology is a line or two, never a note about a person.
APOLOGIES_LIMIT = 1000

_END = "(SELECT coalesce(max(position), 0) + 1 FROM agenda_items WHERE meeting_id = ?)"
_ENTER = ("INSERT INTO agenda_items (meeting_id, situation_id, kind, position) "  # noqa: S608
          f"SELECT ?, ?, ?, {_END} "
          "WHERE 1 = 1 ON CONFLICT (meeting_id, situation_id) DO NOTHING")
_ENTER_OUTCOME = ("INSERT INTO agenda_items (meeting_id, situation_id, kind, position, outcome) "
                  f"SELECT ?, ?, ?, {_END}, ? WHERE 1 = 1 "  # noqa: S608
                  "ON CONFLICT (meeting_id, situation_id) DO UPDATE SET outcome = excluded.outcome")
_ENTER_KEEP = _ENTER_OUTCOME.replace(
    "= excluded.outcome", "= coalesce(agenda_items.outcome, excluded.outcome)")


def drop_from_open_agendas(session: Session, situation: Situation) -> None:
    items = session.scalars(
        select(AgendaItem).join(Meeting).where(
            AgendaItem.situation_id == situation.id, Meeting.status != "closed",
            AgendaItem.outcome.is_(None),
        )
    )
    for item in items:
        session.delete(item)


def _urgency(session: Session, situation_ids: list[int], now: datetime) -> dict[int, int]:
    """Flagged and overdue situations come first in their part of the agenda."""
    if not situation_ids:
        return {}
    flagged = set(session.scalars(select(Flag.situation_id).where(
        Flag.situation_id.in_(situation_ids), Flag.cleared_at.is_(None))))
    overdue = set(session.scalars(select(Deadline.situation_id).where(
        Deadline.situation_id.in_(situation_ids), Deadline.met_at.is_(None),
        Deadline.due_at < now)))
    return {sid: -(2 * (sid in flagged) + (sid in overdue)) for sid in situation_ids}


def prepare_agenda(session: Session, meeting: Meeting, *, now: datetime | None = None,
                   notify: bool = True) -> Meeting:
    """New situations, then report-backs of open ones, flagged and overdue first. Idempotent."""
    now = now or utcnow()
    if meeting.status == "closed":
        raise DomainError("this meeting is closed; its agenda can no longer change")
    new = session.scalars(select(Situation.id).where(
        Situation.table_id == meeting.table_id,
        Situation.stage.in_(stages.NEW_STAGES))).all()
    follow = session.scalars(select(Situation.id).where(
        Situation.table_id == meeting.table_id,
        Situation.stage.in_(stages.FOLLOW_STAGES))).all()
    have = {item.situation_id: item for item in meeting.agenda}
    urgency = _urgency(session, [*new, *follow], now)
    ordered = sorted(new, key=lambda s: (urgency[s], s)) + sorted(
        follow, key=lambda s: (urgency[s], s))
    for sid in ordered:
        if sid not in have:
            meeting.agenda.append(AgendaItem(situation_id=sid,
                                             kind="new" if sid in set(new) else "report_back"))
    rank = {sid: i for i, sid in enumerate(ordered)}
    for item in meeting.agenda:
        item.position = rank.get(item.situation_id, len(rank)) + 1
    first_time = meeting.agenda_prepared_at is None
    meeting.agenda_prepared_at = now
    if notify and first_time:
        members = session.scalars(select(TableMembership.agency_id).where(
            TableMembership.table_id == meeting.table_id)).all()
        emit(session, "meeting.agenda_ready", table_id=meeting.table_id, agency_ids=members,
             to_chairs=True, extra={"meeting_at": meeting.scheduled_at.isoformat(),
                                    "situations_count": len(ordered)})
    return meeting


def _chair_meeting(session: Session, actor: User, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise ValidationError("no meeting %(meeting_id)s", field="meeting_id",
                              meeting_id=meeting_id)
    access.require_chair(session, actor, meeting.table_id)
    return meeting


def open_meeting(session: Session, actor: User, meeting_id: int, *,
                 now: datetime | None = None) -> Meeting:
    now = now or utcnow()
    meeting = _chair_meeting(session, actor, meeting_id)
    if meeting.status == "closed":
        raise DomainError("this meeting is already closed")
    if meeting.agenda_prepared_at is None:
        prepare_agenda(session, meeting, now=now, notify=False)
    meeting.status, meeting.opened_at, meeting.chair_id = "open", now, actor.id
    audit.record(session, "meeting.open", actor=actor, detail={"meeting_id": meeting.id},
                 now=now)
    return meeting


def record_attendance(
    session: Session, actor: User, meeting_id: int, agency_id: int, *, present: bool,
    confidentiality_ack: bool = False, apologies_note: str = "", now: datetime | None = None,
) -> Attendance:
    meeting = _chair_meeting(session, actor, meeting_id)
    if meeting.status == "closed":
        raise DomainError("attendance of a closed meeting cannot change")
    if not access.agency_sits_at(session, agency_id, meeting.table_id):
        raise ValidationError("agency %(agency_id)s is not a member of this table",
                              field="agency_id", agency_id=agency_id)
    if present and not confidentiality_ack:
        raise ValidationError(
            "Tick “acknowledged” for each agency present: every agency at the table "
            "acknowledges the confidentiality statement.",
            field="confidentiality_ack")
    if len(apologies_note.strip()) > APOLOGIES_LIMIT:
        raise ValidationError("the apologies note is limited to %(limit)s characters",
                              field="apologies_note", limit=APOLOGIES_LIMIT)
    row = next((a for a in meeting.attendance if a.agency_id == agency_id), None)
    if row is None:
        row = Attendance(agency_id=agency_id)
        meeting.attendance.append(row)
    row.present, row.confidentiality_ack = present, confidentiality_ack
    row.apologies_note = apologies_note.strip()
    return row


def close_meeting(session: Session, actor: User, meeting_id: int, *,
                  now: datetime | None = None) -> Meeting:
    now = now or utcnow()
    meeting = _chair_meeting(session, actor, meeting_id)
    if meeting.status != "open":
        raise DomainError("only an open meeting can be closed")
    meeting.status, meeting.closed_at = "closed", now
    audit.record(session, "meeting.close", actor=actor, detail={"meeting_id": meeting.id},
                 now=now)
    return meeting


#: The outcomes of filter 2 at a meeting (the rest are follow-up outcomes).
DECISION_OUTCOMES = {"accepted", "rejected"}
#: What became of a situation at a meeting, with its English label (adapters translate).
OUTCOME_LABELS = {"accepted": "accepted", "rejected": "rejected", "reported": "reported back",
                  "disclosed": "disclosed", "planned": "plan recorded", "closed": "closed",
                  "replanned": "plan changed", "not discussed": "not discussed"}


@dataclass
class MinutesItem:
    ref: str
    kind: str
    outcome: str
    stage: str


@dataclass
class Minutes:
    """After the SafeLives MARAC template, de-identified: references and decisions only."""

    table: str
    scheduled_at: datetime
    place: str
    chair: str
    present: list[str] = field(default_factory=list)
    apologies: list[tuple[str, str]] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    items: list[MinutesItem] = field(default_factory=list)
    open_actions: list[tuple[str, str, str]] = field(default_factory=list)
    #: (agency, user) confirmed to read identity by a chair of this table since the last meeting
    confirmations: list[tuple[str, str]] = field(default_factory=list)
    #: (reference, agency, legal basis code) of each disclosure granted at this meeting
    disclosures: list[tuple[str, str, str]] = field(default_factory=list)


def minutes(session: Session, actor: User, meeting_id: int) -> Minutes:
    meeting = _chair_meeting(session, actor, meeting_id)
    table = session.get(Table, meeting.table_id)
    chair = session.get(User, meeting.chair_id) if meeting.chair_id else None
    names = {a.id: a.name for a in session.scalars(select(Agency))}
    result = Minutes(
        table=table.name if table else "", scheduled_at=meeting.scheduled_at,
        place=meeting.place, chair=chair.display_name if chair else "",
    )
    for a in meeting.attendance:
        if a.present:
            result.present.append(names[a.agency_id])
            if a.confidentiality_ack:
                result.acknowledged.append(names[a.agency_id])
        else:
            result.apologies.append((names[a.agency_id], a.apologies_note))
    situations = {s.id: s for s in session.scalars(select(Situation).where(
        Situation.id.in_([i.situation_id for i in meeting.agenda])))}
    for item in meeting.agenda:
        s = situations.get(item.situation_id)
        if s is None:
            continue
        result.items.append(MinutesItem(ref=s.ref or str(s.id), kind=item.kind,
                                        outcome=item.outcome or "not discussed", stage=s.stage))
        for t in s.tasks:
            if t.status != "done":
                result.open_actions.append((s.ref or str(s.id), names[t.agency_id],
                                            t.status if t.status == "open" else t.note))
    result.confirmations = _confirmations_since_last(session, meeting, names)
    for grant, ref in session.execute(
            select(DisclosureGrant, Situation.ref)
            .join(Situation, Situation.id == DisclosureGrant.situation_id)
            .where(DisclosureGrant.meeting_id == meeting.id).order_by(DisclosureGrant.id)):
        result.disclosures.append((ref or str(grant.situation_id), names[grant.agency_id],
                                   grant.legal_basis))
    return result


def _confirmations_since_last(session: Session, meeting: Meeting, names: dict[int, str]
                              ) -> list[tuple[str, str]]:
    """Chairs' confirmations of an agency's first identity reader, told to the whole table:
    those since the last sitting held (one never opened has no minutes to tell them in)."""
    previous = session.scalar(select(func.max(Meeting.scheduled_at)).where(
        Meeting.table_id == meeting.table_id, Meeting.scheduled_at < meeting.scheduled_at,
        Meeting.opened_at.is_not(None)))
    query = select(AuditEntry).where(AuditEntry.action == "user.identity_confirmed")
    if meeting.closed_at is not None:
        query = query.where(AuditEntry.at <= meeting.closed_at)
    if previous is not None:
        query = query.where(AuditEntry.at > previous)
    found = []
    for entry in session.scalars(query.order_by(AuditEntry.id)):
        if entry.detail.get("table_id") != meeting.table_id:
            continue
        user = session.get(User, entry.detail.get("user_id"))
        if user is not None:
            found.append((names.get(user.agency_id or 0, ""), user.display_name))
    return found
