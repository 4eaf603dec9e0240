"""Read models for the pages people work in: the meeting's agenda and one situation.

The coordinator's dashboard is in workflow/dashboard.py, "my agency" in agency_queries.py, and the
row both list in situation_rows.py.

Why here: each page asks a question of many rows at once (a hundred situations on an agenda),
so each is answered by a few SQL statements, not a loop of lookups; and each first asks
workflow.access whether the actor may ask it at all. Nothing here changes a row except what
the core's own read paths write (a meeting made from the schedule); nothing touches identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from workflow import access, gatekeeper, legal_basis, meetings, rulebook, stages
from workflow.errors import NotFound
from workflow.models import (
    Agency,
    AgendaItem,
    Attendance,
    Deadline,
    Flag,
    Meeting,
    ReportBack,
    RuleFiring,
    Situation,
    Table,
    TableMembership,
    User,
    utcnow,
)
from workflow.situation_rows import ROW_COLUMNS, SituationRow, attention, urgency

NEW_STAGES = stages.NEW_STAGES
FOLLOW_STAGES = stages.FOLLOW_STAGES


# -- meetings -----------------------------------------------------------------------------------
def chaired_tables(session: Session, actor: User) -> list[Table]:
    """Tables the actor coordinates (none for anyone without the meeting permission)."""
    if not access.has_permission(actor, "meeting.run"):
        return []
    ids = access.table_ids_in_scope(session, actor)
    return list(session.scalars(select(Table).where(Table.id.in_(ids)).order_by(Table.name)))


def next_meeting(session: Session, actor: User, table_id: int, *,
                 now: datetime | None = None) -> Meeting:
    """The table's next sitting (made from its schedule if none is planned yet)."""
    access.require_chair(session, actor, table_id)
    table = session.get(Table, table_id)
    if table is None:
        raise NotFound(f"no table {table_id}")
    return meetings.next_meeting(session, table, now=now)


def chaired_meeting(session: Session, actor: User, meeting_id: int) -> Meeting:
    """A meeting the actor chairs; a meeting of another table is refused (403)."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"no meeting {meeting_id}")
    access.require_chair(session, actor, meeting.table_id)
    return meeting


def recent_meetings(session: Session, actor: User, meeting: Meeting, limit: int = 10
                    ) -> list[Meeting]:
    """The latest sittings of a meeting's table (the meeting itself was checked: chaired)."""
    access.require_permission(actor, "meeting.run")
    return list(session.scalars(select(Meeting).where(Meeting.table_id == meeting.table_id)
                                .order_by(Meeting.scheduled_at.desc()).limit(limit)))


@dataclass
class AgendaView:
    meeting: Meeting
    table: Table
    rows: list[SituationRow]
    present: int
    members: int

    @property
    def new(self) -> list[SituationRow]:
        return [r for r in self.rows if r.kind == "new"]

    @property
    def report_backs(self) -> list[SituationRow]:
        return [r for r in self.rows if r.kind == "report_back"]


def agenda(session: Session, actor: User, meeting_id: int, *, now: datetime | None = None
           ) -> AgendaView:
    """What the meeting discusses, in order: its agenda items, and (until it closes) every
    situation of the table that is waiting for a decision or owes a report-back."""
    now = now or utcnow()
    meeting = chaired_meeting(session, actor, meeting_id)
    waiting = Situation.stage.in_((*NEW_STAGES, *FOLLOW_STAGES))
    on_agenda = AgendaItem.id.is_not(None)
    query = (
        select(*ROW_COLUMNS, AgendaItem.kind, AgendaItem.outcome, AgendaItem.position)
        .outerjoin(AgendaItem, (AgendaItem.situation_id == Situation.id)
                   & (AgendaItem.meeting_id == meeting.id))
        .where(Situation.table_id == meeting.table_id,
               on_agenda if meeting.status == "closed" else or_(on_agenda, waiting))
    )
    found = session.execute(query).all()  # plain columns: no ORM objects to build
    flags, overdue = attention(session, [r.id for r in found], now)
    rows = []
    for r in found:
        kind = r.kind or ("new" if r.stage in NEW_STAGES else "report_back")
        rows.append(SituationRow(
            id=r.id, ref=r.ref or str(r.id), stage=r.stage, situation_type=r.situation_type,
            age_group=r.age_group, gender=r.gender, created_at=r.created_at,
            accepted_at=r.accepted_at, flags=flags.get(r.id, 0), overdue=overdue.get(r.id, 0),
            kind=kind, outcome=r.outcome, position=r.position or 0))
    rows.sort(key=urgency)
    members = session.scalar(select(func.count(TableMembership.id)).where(
        TableMembership.table_id == meeting.table_id)) or 0
    present = session.scalar(select(func.count(Attendance.id)).where(
        Attendance.meeting_id == meeting.id, Attendance.present.is_(True))) or 0
    return AgendaView(meeting=meeting, table=meeting.table, rows=rows, present=int(present),
                      members=int(members))


def table_agencies(session: Session, table_id: int) -> list[Agency]:
    return list(session.scalars(
        select(Agency).join(TableMembership, TableMembership.agency_id == Agency.id)
        .where(TableMembership.table_id == table_id).order_by(Agency.name)))


def attendance_of(session: Session, actor: User, meeting_id: int
                  ) -> tuple[Meeting, list[tuple[Agency, Attendance | None]]]:
    meeting = chaired_meeting(session, actor, meeting_id)
    rows = {a.agency_id: a for a in meeting.attendance}
    return meeting, [(agency, rows.get(agency.id))
                     for agency in table_agencies(session, meeting.table_id)]


# -- one situation ----------------------------------------------------------------------------
@dataclass
class SituationView:
    """A situation as this actor may see it, and what this actor may do with it."""

    situation: Situation
    agency_names: dict[int, str]
    flags: list[Flag]
    firings: list[RuleFiring]
    deadlines: list[Deadline]
    report_backs: list[ReportBack]
    is_chair: bool
    is_originator: bool
    can_record: bool
    can_read_identity: bool
    suggested_sectors: list[str] = field(default_factory=list)
    members: list[Agency] = field(default_factory=list)
    #: The commands this actor may give this situation now (workflow.gatekeeper.available).
    commands: frozenset[str] = frozenset()
    #: Tasks whose progress this actor may record.
    task_ids: frozenset[int] = frozenset()
    #: (code, kind, label en, label vi) of the bases the table may disclose on, and the default.
    legal_bases: list[tuple[str, str, str, str]] = field(default_factory=list)
    suggested_basis: str | None = None

    def can(self, command: str) -> bool:
        return command in self.commands

    @property
    def is_new(self) -> bool:
        return stages.is_new(self.situation.stage)

    @property
    def is_followed_up(self) -> bool:
        return stages.is_followed_up(self.situation.stage)

    @property
    def assisting(self) -> list[str]:
        return [self.agency_names.get(a, "") for a in self.situation.assisting_agency_ids]

    @property
    def granted(self) -> list[str]:
        return sorted(self.agency_names.get(a, "") for a in self.situation.granted_agency_ids)

    def first_contact_default(self) -> datetime | None:
        for d in self.deadlines:
            if d.kind == "first_contact" and d.met_at is None:
                return d.due_at
        return self.situation.first_contact_due


def situation_view(session: Session, actor: User, situation_id: int, *,
                   for_meeting: bool = False) -> SituationView:
    """Load a situation the actor may see, with its flags, rule firings and deadlines.

    Rule firings and suggestions are the coordinators' (they run the meeting); the lists an
    agency sees are its own work: tasks and report-backs.
    """
    situation = session.scalar(
        select(Situation).where(Situation.id == situation_id).options(
            selectinload(Situation.risk_factors), selectinload(Situation.involvements),
            selectinload(Situation.grants), selectinload(Situation.tasks),
            selectinload(Situation.report_backs)))
    if situation is None or not access.can_view_situation(session, actor, situation):
        raise NotFound(f"no situation {situation_id} that you may see")
    is_chair = access.chairs_table(session, actor, situation.table_id)
    view = SituationView(
        situation=situation,
        agency_names=dict(session.execute(select(Agency.id, Agency.name)).tuples().all()),
        flags=list(session.scalars(select(Flag).where(
            Flag.situation_id == situation.id, Flag.cleared_at.is_(None)).order_by(Flag.id))),
        firings=list(session.scalars(select(RuleFiring).where(
            RuleFiring.situation_id == situation.id).order_by(RuleFiring.fired_at,
                                                               RuleFiring.id)))
        if is_chair else [],
        deadlines=list(session.scalars(select(Deadline).where(
            Deadline.situation_id == situation.id).order_by(Deadline.due_at))),
        report_backs=list(situation.report_backs),
        is_chair=is_chair,
        is_originator=(actor.agency_id == situation.originating_agency_id
                       and access.has_permission(actor, "situation.draft")),
        can_record=access.can_record_intervention(actor, situation),
        can_read_identity=gatekeeper.can(session, actor, "read_identity", situation),
        commands=gatekeeper.available(session, actor, situation),
        task_ids=frozenset(t.id for t in situation.tasks
                           if gatekeeper.can(session, actor, "update_task", situation, t)),
    )
    if for_meeting and is_chair:
        if situation.stage in FOLLOW_STAGES:
            view.suggested_sectors = rulebook.suggested_sectors(session, situation)
        view.members = table_agencies(session, situation.table_id)
        view.legal_bases = [(b.code, b.kind, b.label.en, b.label.vi)
                            for b in legal_basis.bases_of(session, situation.table)]
        view.suggested_basis = legal_basis.suggested(session, situation)
    elif view.can("replan"):  # the chair changes the plan between meetings too
        view.members = table_agencies(session, situation.table_id)
    return view


def meeting_situation(session: Session, actor: User, meeting_id: int, situation_id: int
                      ) -> tuple[Meeting, SituationView]:
    """A situation in meeting mode: the chair of the meeting's table, and a situation of it."""
    meeting = chaired_meeting(session, actor, meeting_id)
    view = situation_view(session, actor, situation_id, for_meeting=True)
    if view.situation.table_id != meeting.table_id:
        raise NotFound(f"situation {situation_id} is not at this meeting's table")
    return meeting, view


def neighbours(rows: list[SituationRow], situation_id: int
               ) -> tuple[SituationRow | None, SituationRow | None]:
    """The previous and next situation on the agenda, for moving through a meeting in turn."""
    ids = [r.id for r in rows]
    if situation_id not in ids:
        return None, None
    i = ids.index(situation_id)
    return (rows[i - 1] if i > 0 else None), (rows[i + 1] if i + 1 < len(rows) else None)

