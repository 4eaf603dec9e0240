"""Read questions an agency asks about its own work: its situations, its open tasks, what is next.

Why here and not in an adapter: "which situations are my agency's" is the same question as the
core's `access.agency_involved` (originating, lead, assisting or granted), asked of many rows
at once; keeping the query beside the access rules keeps the two from drifting apart. These are
reads only: nothing here changes a row, and nothing here touches identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, selectinload

from workflow import access, stages
from workflow.errors import NotFound, ValidationError
from workflow.models import (
    STAGES,
    Agency,
    AgendaItem,
    DisclosureGrant,
    Involvement,
    Meeting,
    Situation,
    Table,
    TableMembership,
    Task,
    User,
    utcnow,
)
from workflow.situation_rows import SituationRow, attention, row_of

#: Stages in which the lead reports back at every meeting until the situation closes.
_FOLLOWED_UP = stages.FOLLOW_STAGES


def find_table(session: Session, ref: str | int) -> Table:
    """A table by its code ("PEEL") or its id; unknown ones are the caller's mistake."""
    table = session.get(Table, ref) if isinstance(ref, int) else session.scalar(
        select(Table).where(Table.code == ref.strip().upper()))
    if table is None:
        raise ValidationError("unknown table %(ref)r: give a table code or id", field="table",
                              ref=ref)
    return table


def situations_of_agency(session: Session, agency_id: int, *, stage: str | None = None,
                         limit: int | None = None, offset: int = 0) -> list[Situation]:
    """Situations the agency presented, leads, assists in or was granted, newest first.

    `limit` and `offset` page through an agency's history, which grows without end.
    """
    if stage is not None and stage not in STAGES:
        raise ValidationError("unknown stage %(stage)r; expected one of %(values)s",
                              field="stage", stage=stage, values=', '.join(STAGES))
    involved = exists().where(Involvement.situation_id == Situation.id,
                              Involvement.agency_id == agency_id)
    granted = exists().where(DisclosureGrant.situation_id == Situation.id,
                             DisclosureGrant.agency_id == agency_id,
                             DisclosureGrant.revoked_at.is_(None))
    query = (
        select(Situation)
        .where(or_(Situation.originating_agency_id == agency_id,
                   Situation.lead_agency_id == agency_id, involved, granted))
        .options(selectinload(Situation.table), selectinload(Situation.involvements),
                 selectinload(Situation.grants), selectinload(Situation.risk_factors))
        .order_by(Situation.created_at.desc(), Situation.id.desc())
    )
    if stage is not None:
        query = query.where(Situation.stage == stage)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query.offset(offset)))


def open_tasks_of_agency(session: Session, agency_id: int) -> list[Task]:
    """The agency's open tasks, soonest due first (undated last), with their situations loaded."""
    query = (
        select(Task)
        .join(Task.situation)
        .where(Task.agency_id == agency_id, Task.status == "open",
               Situation.stage.in_(stages.STEPS["update_task"].sources))
        .options(selectinload(Task.situation))
        .order_by(Task.due_date.is_(None), Task.due_date, Task.id)
    )
    return list(session.scalars(query))


def upcoming_meetings(session: Session, situations: list[Situation], *,
                      now: datetime | None = None) -> dict[int, Meeting | None]:
    """For each situation, the meeting where the table will next take it up, if one is known.

    The meeting whose agenda holds it comes first; a situation in intervention is reported
    back at every meeting, so for it the table's next planned or open meeting counts too.
    Unlike `meetings.next_meeting`, this never creates a meeting: it is a read. A few queries
    for the whole list, not a few per situation.
    """
    now = now or utcnow()
    found: dict[int, Meeting | None] = {s.id: None for s in situations}
    open_ids = [s.id for s in situations if s.is_open]
    if open_ids:
        rows = session.execute(
            select(AgendaItem.situation_id, Meeting)
            .join(Meeting, AgendaItem.meeting_id == Meeting.id)
            .where(AgendaItem.situation_id.in_(open_ids), Meeting.status != "closed")
            .order_by(Meeting.scheduled_at.desc())
        ).all()
        for situation_id, meeting in rows:  # latest first, so the earliest one stays
            found[situation_id] = meeting
    followed = [s for s in situations
                if s.is_open and found[s.id] is None and s.stage in _FOLLOWED_UP]
    next_of_table: dict[int, Meeting | None] = {}
    for situation in followed:
        if situation.table_id not in next_of_table:
            next_of_table[situation.table_id] = session.scalars(
                select(Meeting)
                .where(Meeting.table_id == situation.table_id, Meeting.status != "closed",
                       Meeting.scheduled_at >= now - timedelta(hours=12))
                .order_by(Meeting.scheduled_at)
                .limit(1)
            ).first()
        found[situation.id] = next_of_table[situation.table_id]
    return found


def upcoming_meeting(session: Session, situation: Situation, *, now: datetime | None = None
                     ) -> Meeting | None:
    """The same question as `upcoming_meetings`, for one situation."""
    return upcoming_meetings(session, [situation], now=now)[situation.id]


# -- "my agency": the page of an agency's own work ------------------------------------------
@dataclass
class TaskRow:
    task: Task
    situation_ref: str
    situation_id: int

    @property
    def overdue(self) -> bool:
        return self.task.due_date is not None and self.task.due_date < date.today()


@dataclass
class AgencyView:
    agency: Agency
    presented: list[SituationRow]
    leading: list[SituationRow]
    assisting: list[SituationRow]
    granted: list[SituationRow]
    finished: list[SituationRow]
    tasks: list[TaskRow]
    #: (row, when first contact is due, the table's time zone it is due in)
    first_contacts: list[tuple[SituationRow, datetime | None, str]]


def my_agency(session: Session, actor: User, *, now: datetime | None = None) -> AgencyView:
    """What the actor's agency presented, leads, assists and was granted, and its open tasks."""
    access.require_permission(actor, "situation.view")
    if actor.agency_id is None:
        raise NotFound("you belong to no agency")
    now = now or utcnow()
    agency_id = actor.agency_id
    agency = session.get(Agency, agency_id)
    assert agency is not None
    assisting_ids = select(Involvement.situation_id).where(
        Involvement.agency_id == agency_id, Involvement.role == "assisting")
    granted_ids = select(DisclosureGrant.situation_id).where(
        DisclosureGrant.agency_id == agency_id, DisclosureGrant.revoked_at.is_(None))
    query = (select(Situation)
             .where(or_(Situation.originating_agency_id == agency_id,
                        Situation.lead_agency_id == agency_id,
                        Situation.id.in_(assisting_ids), Situation.id.in_(granted_ids)))
             .order_by(Situation.updated_at.desc()))
    assisting = set(session.scalars(assisting_ids))
    granted = set(session.scalars(granted_ids))
    view = AgencyView(agency=agency, presented=[], leading=[], assisting=[], granted=[],
                      finished=[], tasks=[], first_contacts=[])
    found = list(session.scalars(query))
    flags, overdue = attention(session, [s.id for s in found], now)
    for s in found:
        row = row_of(s, flags.get(s.id, 0), overdue.get(s.id, 0))
        if s.originating_agency_id == agency_id:
            view.presented.append(row)
        if s.lead_agency_id == agency_id and s.is_open:
            view.leading.append(row)
            if s.stage == "intervention" and s.first_contact_at is None:
                view.first_contacts.append((row, s.first_contact_due,
                                             s.table.timezone or "UTC"))
        if s.id in assisting and s.is_open:
            view.assisting.append(row)
        if s.id in granted and s.is_open:
            view.granted.append(row)
        if not s.is_open and s.originating_agency_id != agency_id:
            view.finished.append(row)  # we worked on it (lead, assisting or granted)
    tasks = session.execute(
        select(Task, Situation.ref, Situation.id).join(Situation, Situation.id == Task.situation_id)
        .where(Task.agency_id == agency_id, Task.status == "open",
               Situation.stage.in_(stages.FOLLOW_STAGES))
        .order_by(Task.due_date.is_(None), Task.due_date, Task.id))
    view.tasks = [TaskRow(task=t, situation_ref=ref or str(sid), situation_id=sid)
                  for t, ref, sid in tasks]
    return view


def agency_tables(session: Session, actor: User) -> list[Table]:
    """Tables where the actor's agency may present a situation."""
    if not access.has_permission(actor, "situation.draft") or actor.agency_id is None:
        return []
    ids = select(TableMembership.table_id).where(TableMembership.agency_id == actor.agency_id)
    return list(session.scalars(select(Table).where(Table.id.in_(ids)).order_by(Table.name)))
