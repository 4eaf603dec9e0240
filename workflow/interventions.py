"""Filters 3 and 4 and closure: disclosure to named agencies, the plan, report-backs, the end.

    accepted -> disclose(agencies) -> disclosed -> plan(lead, assisting, tasks) -> intervention
    intervention -> report_back (each meeting) -> ... -> close(conclusion) -> closed
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import access, audit, meetings, rulebook, stages
from workflow.errors import DomainError, PermissionDenied, ValidationError
from workflow.identity import Identity, IdentityVault
from workflow.models import (
    Agency,
    Deadline,
    DisclosureGrant,
    Flag,
    Involvement,
    Meeting,
    ReportBack,
    Situation,
    SituationService,
    Task,
    User,
    utcnow,
)
from workflow.outbox import emit
from workflow.reference import load_catalog
from workflow.transitions import check_version, move

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
                f"agency {agency_id} is not a member of this table", field=field
            )
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
    vault: IdentityVault | None = None, identity: Identity | None = None,
    meeting_id: int | None = None, expected_version: int | None = None,
    now: datetime | None = None,
) -> Situation:
    """Filter 3: the table names the agencies that may see the limited identity."""
    now = now or utcnow()
    situation = access.load_visible_situation(session, actor, situation_id)
    stages.check("disclose", situation.stage)
    access.require_chair(session, actor, situation.table_id)
    meeting = _optional_meeting(session, situation, meeting_id)
    agencies = _table_agencies(session, situation, agency_ids, "agency_ids")
    check_version(situation, expected_version)
    rulebook.check_guards(session, situation, "disclose", now=now, meeting=meeting)
    move(session, situation, "disclose", actor=actor, now=now,
         meeting_id=meeting.id if meeting else None)
    already = situation.granted_agency_ids
    new_ids = [a.id for a in agencies if a.id not in already]
    for agency_id in new_ids:
        situation.grants.append(DisclosureGrant(
            agency_id=agency_id, granted_by_id=actor.id, granted_at=now,
            meeting_id=meeting.id if meeting else None,
        ))
    session.flush()
    audit.record(session, "identity.grant", actor=actor, situation_id=situation.id,
                 detail={"agency_ids": new_ids}, now=now)
    if identity is not None:
        if vault is None:
            raise DomainError("the identity vault is not available")
        vault.record(session, actor, situation, identity, now=now)
    if new_ids:
        emit(session, "situation.disclosed", table_id=situation.table_id, situation=situation,
             agency_ids=new_ids)
    rulebook.after(session, situation, "disclose", actor=actor, now=now, meeting=meeting)
    return situation


def plan(
    session: Session, actor: User, situation_id: int, *, lead_agency_id: int,
    assisting_agency_ids: list[int] | None = None, tasks: list[TaskInput] | None = None,
    first_contact_due: datetime | None = None, meeting_id: int | None = None,
    expected_version: int | None = None, now: datetime | None = None,
) -> Situation:
    """Filter 4: one lead, assisting agencies, tasks, and when the first contact is due."""
    now = now or utcnow()
    situation = access.load_visible_situation(session, actor, situation_id)
    stages.check("plan", situation.stage)
    access.require_chair(session, actor, situation.table_id)
    meeting = _optional_meeting(session, situation, meeting_id)
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
    check_version(situation, expected_version)
    rulebook.check_guards(session, situation, "plan", now=now, meeting=meeting)
    move(session, situation, "plan", actor=actor, now=now,
         meeting_id=meeting.id if meeting else None)
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
    rulebook.after(session, situation, "plan", actor=actor, now=now, meeting=meeting)
    return situation


def record_first_contact(
    session: Session, actor: User, situation_id: int, *, at: datetime | None = None,
    now: datetime | None = None,
) -> Situation:
    """The door knock happened: the first-contact deadline is met."""
    now = now or utcnow()
    at = at or now
    situation = access.load_visible_situation(session, actor, situation_id)
    if not access.can_record_intervention(actor, situation):
        raise PermissionDenied("only the lead or an assisting agency records first contact")
    if situation.stage != "intervention":
        raise DomainError("first contact is recorded once the intervention is planned",
                          field="stage")
    if at > now:
        raise ValidationError("first contact cannot be in the future", field="at")
    if situation.first_contact_at is None:
        situation.first_contact_at = at
        rulebook.meet_deadline(session, situation, "first_contact", at)
        audit.record(session, "situation.first_contact", actor=actor,
                     situation_id=situation.id, now=now)
    return situation


def update_task(
    session: Session, actor: User, task_id: int, *, status: str, note: str = "",
    now: datetime | None = None,
) -> Task:
    now = now or utcnow()
    task = session.get(Task, task_id)
    if task is None:
        raise ValidationError(f"no task {task_id}", field="task_id")
    situation = access.load_visible_situation(session, actor, task.situation_id)
    if not (actor.agency_id == task.agency_id or access.chairs_table(session, actor,
                                                                     situation.table_id)):
        raise PermissionDenied("only the task's agency or the chair updates a task")
    if status not in load_catalog().codes("task_statuses"):
        raise ValidationError(f"unknown task status {status!r}", field="status")
    if len(note) > NOTE_LIMIT:
        raise ValidationError(f"the note is limited to {NOTE_LIMIT} characters", field="note")
    if status == "not_done" and not note.strip():
        raise ValidationError("say why the task is not done", field="note")
    task.status, task.note = status, note.strip()
    task.completed_at = now if status != "open" else None
    audit.record(session, "task.update", actor=actor, situation_id=situation.id,
                 detail={"task_id": task.id, "status": status}, now=now)
    return task


def report_back(
    session: Session, actor: User, situation_id: int, *, progress_note: str,
    first_contact_made: bool, still_aer: bool, meeting_id: int | None = None,
    services: list[str] | None = None, now: datetime | None = None,
) -> ReportBack:
    """At each later meeting the lead says what happened and whether the risk is still acute."""
    now = now or utcnow()
    situation = access.load_visible_situation(session, actor, situation_id)
    stages.check("report_back", situation.stage)
    if not (access.can_record_intervention(actor, situation)
            or access.chairs_table(session, actor, situation.table_id)):
        raise PermissionDenied("only the lead, an assisting agency or the chair reports back")
    if len(progress_note) > 2000:
        raise ValidationError("the progress note is limited to 2000 characters",
                              field="progress_note")
    meeting = _optional_meeting(session, situation, meeting_id)
    _add_services(situation, services or [])
    move(session, situation, "report_back", actor=actor, now=now,
         meeting_id=meeting.id if meeting else None)
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
    rulebook.after(session, situation, "report_back", actor=actor, now=now, meeting=meeting)
    return rb


def _add_services(situation: Situation, services: list[str]) -> None:
    known = load_catalog().codes("services")
    unknown = [s for s in services if s not in known]
    if unknown:
        raise ValidationError(f"unknown service(s): {', '.join(unknown)}", field="services")
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
    now = now or utcnow()
    if conclusion_reason not in load_catalog().codes("conclusion_reasons"):
        raise ValidationError(f"choose a conclusion reason (got {conclusion_reason!r})",
                              field="conclusion_reason")
    situation = access.load_visible_situation(session, actor, situation_id)
    stages.check("close", situation.stage)
    access.require_chair(session, actor, situation.table_id)
    meeting = _optional_meeting(session, situation, meeting_id)
    check_version(situation, expected_version)
    _add_services(situation, services or [])
    situation.conclusion_reason = conclusion_reason
    rulebook.check_guards(session, situation, "close", now=now, meeting=meeting)
    move(session, situation, "close", actor=actor, now=now,
         meeting_id=meeting.id if meeting else None, reason=conclusion_reason)
    situation.closed_at = now
    for d in session.scalars(select(Deadline).where(Deadline.situation_id == situation.id,
                                                    Deadline.met_at.is_(None))):
        d.met_at = now
    if meeting is not None:
        meetings.record_outcome(meeting, situation, "closed")
    emit(session, "situation.closed", table_id=situation.table_id, situation=situation,
         agency_ids=sorted({i.agency_id for i in situation.involvements}
                           | {situation.originating_agency_id}),
         extra={"conclusion_reason": conclusion_reason})
    rulebook.after(session, situation, "close", actor=actor, now=now, meeting=meeting)
    return situation


def clear_flag(session: Session, actor: User, flag_id: int, *, now: datetime | None = None
               ) -> Flag:
    flag = session.get(Flag, flag_id)
    if flag is None:
        raise ValidationError(f"no flag {flag_id}", field="flag_id")
    situation = access.load_visible_situation(session, actor, flag.situation_id)
    access.require_chair(session, actor, situation.table_id)
    if flag.cleared_at is None:
        flag.cleared_at, flag.cleared_by_id = now or utcnow(), actor.id
        audit.record(session, "flag.clear", actor=actor, situation_id=situation.id,
                     detail={"code": flag.code}, now=now)
    return flag
