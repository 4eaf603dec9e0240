"""Filters 3 and 4 and closure: disclosure to named agencies, the plan, report-backs, the end.

    accepted -> disclose(agencies) -> disclosed -> plan(lead, assisting, tasks) -> intervention
    intervention -> report_back (each meeting) -> ... -> close(conclusion) -> closed
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from workflow import access, audit, gatekeeper, legal_basis, meetings, rulebook
from workflow.errors import DomainError, NotFound, ValidationError
from workflow.identity import Identity, IdentityVault
from workflow.models import (
    Agency,
    DisclosureGrant,
    Flag,
    Involvement,
    Meeting,
    ReportBack,
    Situation,
    SituationService,
    Task,
    User,
)
from workflow.outbox import emit
from workflow.reference import load_catalog

NOTE_LIMIT = 2000  # a task note, like a progress note: a few paragraphs at most


@dataclass
class TaskInput:
    agency_id: int
    description: str
    due_date: date | None = None


def _table_agencies(session: Session, situation: Situation, agency_ids: list[int],
                    field: str) -> list[Agency]:
    if not agency_ids:
        raise ValidationError("name at least one agency", field=field)
    found = []
    for agency_id in agency_ids:
        agency = session.get(Agency, agency_id)
        if agency is None or not access.agency_sits_at(session, agency_id, situation.table_id):
            raise ValidationError(
                "agency %(agency_id)s is not a member of this table", field=field
            , agency_id=agency_id)
        found.append(agency)
    return found


def _optional_meeting(session: Session, situation: Situation, meeting_id: int | None
                      ) -> Meeting | None:
    if meeting_id is None:
        return None
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.table_id != situation.table_id:
        raise ValidationError("that meeting is not a meeting of this situation's table",
                              field="meeting_id")
    return meeting


def disclose(
    session: Session, actor: User, situation_id: int, agency_ids: list[int], *,
    basis: str | None = None, vault: IdentityVault | None = None,
    identity: Identity | None = None, meeting_id: int | None = None,
    expected_version: int | None = None, now: datetime | None = None,
) -> Situation:
    """Filter 3: the table names the agencies that may see the limited identity, and the
    legal basis on which it does (the person's consent, or an authority of its pack)."""
    run = gatekeeper.begin(session, actor, "disclose", situation_id, now=now,
                           expected_version=expected_version, guard=False)
    situation, now = run.situation, run.now
    meeting = run.meeting = _optional_meeting(session, situation, meeting_id)
    agencies = _table_agencies(session, situation, agency_ids, "agency_ids")
    grounds = legal_basis.check(session, situation, basis)
    run.guard()
    run.move()
    already = situation.granted_agency_ids
    new_ids = [a.id for a in agencies if a.id not in already]
    for agency_id in new_ids:
        situation.grants.append(DisclosureGrant(
            agency_id=agency_id, granted_by_id=actor.id, granted_at=now,
            meeting_id=meeting.id if meeting else None, legal_basis=grounds.code,
        ))
    session.flush()
    audit.record(session, "identity.grant", actor=actor, situation_id=situation.id,
                 detail={"agency_ids": new_ids, "legal_basis": grounds.code}, now=now)
    if identity is not None:
        if vault is None:
            raise DomainError("the identity vault is not available")
        vault.record(session, actor, situation, identity, now=now)
    if new_ids:
        emit(session, "situation.disclosed", table_id=situation.table_id, situation=situation,
             agency_ids=new_ids)
    run.after()
    return situation


def plan(
    session: Session, actor: User, situation_id: int, *, lead_agency_id: int,
    assisting_agency_ids: list[int] | None = None, tasks: list[TaskInput] | None = None,
    first_contact_due: datetime | None = None, meeting_id: int | None = None,
    expected_version: int | None = None, now: datetime | None = None,
) -> Situation:
    """Filter 4: one lead, assisting agencies, tasks, and when the first contact is due."""
    run = gatekeeper.begin(session, actor, "plan", situation_id, now=now,
                           expected_version=expected_version, guard=False)
    situation, now = run.situation, run.now
    run.meeting = _optional_meeting(session, situation, meeting_id)
    assisting = [a for a in (assisting_agency_ids or []) if a != lead_agency_id]
    _table_agencies(session, situation, [lead_agency_id, *assisting], "lead_agency_id")
    granted = situation.granted_agency_ids
    if lead_agency_id not in granted:
        raise ValidationError("the lead agency must first be granted disclosure",
                              field="lead_agency_id")
    tasks = tasks or []
    for i, t in enumerate(tasks):
        if not t.description.strip() or len(t.description) > 300:
            raise ValidationError("each task needs a short description (up to 300 characters)",
                                  field=f"tasks[{i}].description")
        if t.agency_id not in {lead_agency_id, *assisting}:
            raise ValidationError("a task's owner must be the lead or an assisting agency",
                                  field=f"tasks[{i}].agency_id")
    if first_contact_due is not None and not now.year <= first_contact_due.year <= now.year + 2:
        raise ValidationError("the first-contact date must be within the next two years",
                              field="first_contact_due")
    if first_contact_due is not None and first_contact_due < now:
        raise ValidationError("the first-contact date is in the past", field="first_contact_due")
    run.guard()
    run.move()
    situation.lead_agency_id = lead_agency_id
    situation.involvements = [Involvement(agency_id=lead_agency_id, role="lead")] + [
        Involvement(agency_id=a, role="assisting") for a in dict.fromkeys(assisting)
    ]
    for t in tasks:
        situation.tasks.append(Task(agency_id=t.agency_id, description=t.description.strip(),
                                    due_date=t.due_date, created_at=now))
    if first_contact_due is not None:
        situation.first_contact_due = first_contact_due
        rulebook.set_deadline(session, situation, "first_contact", first_contact_due, "plan")
    session.flush()
    emit(session, "situation.lead_assigned", table_id=situation.table_id, situation=situation,
         agency_ids=[lead_agency_id],
         extra={"due_at": situation.first_contact_due.isoformat()
                if situation.first_contact_due else None})
    if assisting:
        emit(session, "situation.assisting_assigned", table_id=situation.table_id,
             situation=situation, agency_ids=assisting)
    for t in tasks:
        emit(session, "task.assigned", table_id=situation.table_id, situation=situation,
             agency_ids=[t.agency_id],
             extra={"task_due": t.due_date.isoformat() if t.due_date else None})
    run.after()
    return situation


def record_first_contact(
    session: Session, actor: User, situation_id: int, *, at: datetime | None = None,
    now: datetime | None = None,
) -> Situation:
    """The door knock happened: the first-contact deadline is met."""
    run = gatekeeper.begin(session, actor, "record_first_contact", situation_id, now=now)
    situation, now = run.situation, run.now
    at = at or now
    if at > now:
        raise ValidationError("first contact cannot be in the future", field="at")
    if situation.first_contact_at is None:
        situation.first_contact_at = at
        rulebook.meet_deadline(session, situation, "first_contact", at)
        run.record()
    return situation


def update_task(
    session: Session, actor: User, task_id: int, *, status: str, note: str = "",
    situation_id: int | None = None, now: datetime | None = None,
) -> Task:
    """Progress on a task: its agency (or the chair), while the intervention runs."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}", field="task_id")
    if situation_id is not None and task.situation_id != situation_id:
        raise NotFound(f"no task {task_id} on this situation", field="task_id")
    run = gatekeeper.begin(session, actor, "update_task", task.situation_id, now=now, task=task)
    now = run.now
    if status not in load_catalog().codes("task_statuses"):
        raise ValidationError("unknown task status %(status)r", field="status", status=status)
    if len(note) > NOTE_LIMIT:
        raise ValidationError("the note is limited to %(NOTE_LIMIT)s characters", field="note",
                              NOTE_LIMIT=NOTE_LIMIT)
    if status == "not_done" and not note.strip():
        raise ValidationError("say why the task is not done", field="note")
    task.status, task.note = status, note.strip()
    task.completed_at = now if status != "open" else None
    run.record({"task_id": task.id, "status": status})
    return task


def report_back(
    session: Session, actor: User, situation_id: int, *, progress_note: str,
    first_contact_made: bool, still_aer: bool, meeting_id: int | None = None,
    services: list[str] | None = None, now: datetime | None = None,
) -> ReportBack:
    """At each later meeting the lead says what happened and whether the risk is still acute."""
    run = gatekeeper.begin(session, actor, "report_back", situation_id, now=now, guard=False)
    situation, now = run.situation, run.now
    if len(progress_note) > 2000:
        raise ValidationError("the progress note is limited to 2000 characters",
                              field="progress_note")
    meeting = run.meeting = _optional_meeting(session, situation, meeting_id)
    _check_services(services or [])
    run.guard()
    _add_services(situation, services or [])
    run.move()
    rb = ReportBack(
        meeting_id=meeting.id if meeting else None,
        agency_id=actor.agency_id or situation.lead_agency_id,
        user_id=actor.id, progress_note=progress_note.strip(),
        first_contact_made=first_contact_made, still_aer=still_aer, at=now,
    )
    situation.report_backs.append(rb)
    if first_contact_made and situation.first_contact_at is None:
        situation.first_contact_at = now
        rulebook.meet_deadline(session, situation, "first_contact", now)
    rulebook.meet_deadline(session, situation, "report_back", now)
    if meeting is not None:
        meetings.record_outcome(meeting, situation, "reported")
    run.after()
    return rb


def _check_services(services: list[str]) -> None:
    known = load_catalog().codes("services")
    unknown = [s for s in services if s not in known]
    if unknown:
        raise ValidationError("unknown service(s): %(values)s", field="services",
                              values=', '.join(unknown))


def _add_services(situation: Situation, services: list[str]) -> None:
    _check_services(services)
    have = {s.service_code for s in situation.services}
    for code in dict.fromkeys(services):
        if code not in have:
            situation.services.append(SituationService(service_code=code))


def close(
    session: Session, actor: User, situation_id: int, *, conclusion_reason: str,
    services: list[str] | None = None, meeting_id: int | None = None,
    expected_version: int | None = None, now: datetime | None = None,
) -> Situation:
    """The table concludes: risk lowered, still AER, or transferred. The record stays."""
    run = gatekeeper.begin(session, actor, "close", situation_id, now=now,
                           expected_version=expected_version, guard=False)
    if conclusion_reason not in load_catalog().codes("conclusion_reasons"):
        raise ValidationError("choose a conclusion reason (got %(conclusion_reason)r)",
                              field="conclusion_reason", conclusion_reason=conclusion_reason)
    situation, now = run.situation, run.now
    meeting = run.meeting = _optional_meeting(session, situation, meeting_id)
    _add_services(situation, services or [])
    situation.conclusion_reason = conclusion_reason
    run.guard()
    run.move(reason=conclusion_reason)
    situation.closed_at = now
    rulebook.meet_deadline(session, situation, None, now)  # every open clock stops
    if meeting is not None:
        meetings.record_outcome(meeting, situation, "closed")
    emit(session, "situation.closed", table_id=situation.table_id, situation=situation,
         agency_ids=sorted({i.agency_id for i in situation.involvements}
                           | {situation.originating_agency_id}),
         extra={"conclusion_reason": conclusion_reason})
    run.after()
    return situation


def clear_flag(session: Session, actor: User, flag_id: int, *,
               situation_id: int | None = None, now: datetime | None = None) -> Flag:
    """The chair judged a flag dealt with (while the situation is open)."""
    flag = session.get(Flag, flag_id)
    if flag is None or (situation_id is not None and flag.situation_id != situation_id):
        raise NotFound(f"no flag {flag_id} on this situation", field="flag_id")
    run = gatekeeper.begin(session, actor, "clear_flag", flag.situation_id, now=now)
    if flag.cleared_at is None:
        flag.cleared_at, flag.cleared_by_id = run.now, actor.id
        run.record({"code": flag.code})
    return flag
