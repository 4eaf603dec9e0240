"""Filters 3 and 4 and closure: disclosure to named agencies, the plan, report-backs, the end.

    accepted -> disclose(agencies) -> disclosed -> plan(lead, assisting, tasks) -> intervention
    intervention -> report_back (each meeting) -> ... -> close(conclusion) -> closed
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from workflow import appends, audit, gatekeeper, legal_basis, meetings, rulebook
from workflow.deadline_rows import MET_BY_FIRST_CONTACT, MET_BY_PLAN
from workflow.errors import DomainError, NotFound, ValidationError
from workflow.identity import Identity, IdentityVault
from workflow.models import (
    DisclosureGrant,
    Flag,
    Involvement,
    ReportBack,
    Situation,
    SituationService,
    Task,
    User,
)
from workflow.outbox import emit
from workflow.reference import load_catalog
from workflow.situation_context import MeetingView, Row

NOTE_LIMIT = 2000  # a task note, like a progress note: a few paragraphs at most


@dataclass
class TaskInput:
    agency_id: int
    description: str
    due_date: date | None = None


def _table_agencies(run: gatekeeper.Run, agency_ids: list[int], field: str) -> list[int]:
    """The named agencies, each a member of the situation's table (the one read knows them)."""
    if not agency_ids:
        raise ValidationError("name at least one agency", field=field)
    assert run.context is not None
    for agency_id in agency_ids:
        if agency_id not in run.context.members:
            raise ValidationError(
                "agency %(agency_id)s is not a member of this table", field=field,
                agency_id=agency_id)
        if agency_id in run.context.inactive:  # its users cannot sign in, nor is it told
            raise ValidationError(
                "agency %(agency_id)s is not active: an administrator deactivated it",
                field=field, agency_id=agency_id)
    return list(agency_ids)


def optional_meeting(run: gatekeeper.Run, meeting_id: int | None) -> MeetingView | None:
    if meeting_id is None:
        return None
    meeting = run.context.meeting if run.context is not None else None
    if meeting is None or meeting.table_id != run.situation.table_id:
        raise ValidationError("that meeting is not a meeting of this situation's table",
                              field="meeting_id")
    if meeting.status != "open":  # else the minutes would say "not discussed", or change after
        raise DomainError("the table decides only in an open meeting: open the meeting first",
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
    run = gatekeeper.read(session, actor, "disclose", situation_id, now=now,
                          expected_version=expected_version, meeting_id=meeting_id, guard=False)
    situation, context, now = run.situation, run.context, run.now
    assert context is not None
    meeting = optional_meeting(run, meeting_id)
    named = _table_agencies(run, agency_ids, "agency_ids")
    grounds = legal_basis.check(session, situation, basis)
    run.guard()
    run.move()
    already = situation.granted_agency_ids
    new_ids = list(dict.fromkeys(a for a in named if a not in already))
    appends.add(session, DisclosureGrant, [
        {"situation_id": situation.id, "agency_id": agency_id, "granted_by_id": actor.id,
         "granted_at": now, "meeting_id": meeting.id if meeting else None,
         "legal_basis": grounds.code} for agency_id in new_ids])
    if meeting is not None and new_ids:
        meetings.enter_on_agenda(session, meeting.id, situation.id, outcome="disclosed",
                                 keep=True)
    context.grants.extend(Row(agency_id=a) for a in new_ids)
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
    return run.save()


def plan(
    session: Session, actor: User, situation_id: int, *, lead_agency_id: int,
    assisting_agency_ids: list[int] | None = None, tasks: list[TaskInput] | None = None,
    first_contact_due: datetime | None = None, meeting_id: int | None = None,
    expected_version: int | None = None, now: datetime | None = None,
) -> Situation:
    """Filter 4: one lead, assisting agencies, tasks, and when the first contact is due."""
    run = gatekeeper.read(session, actor, "plan", situation_id, now=now,
                          expected_version=expected_version, meeting_id=meeting_id, guard=False)
    situation, context, now = run.situation, run.context, run.now
    assert context is not None
    meeting = optional_meeting(run, meeting_id)
    assisting = list(dict.fromkeys(a for a in (assisting_agency_ids or [])
                                   if a != lead_agency_id))
    _table_agencies(run, [lead_agency_id, *assisting], "lead_agency_id")
    if lead_agency_id not in situation.granted_agency_ids:
        raise ValidationError("the lead agency must first be granted disclosure",
                              field="lead_agency_id")
    tasks = tasks or []
    check_tasks(tasks, {lead_agency_id, *assisting})
    if first_contact_due is not None and not now.year <= first_contact_due.year <= now.year + 2:
        raise ValidationError("the first-contact date must be within the next two years",
                              field="first_contact_due")
    if first_contact_due is not None and first_contact_due < now:
        raise ValidationError("the first-contact date is in the past", field="first_contact_due")
    run.guard()
    run.move()
    situation.lead_agency_id = lead_agency_id
    write_agencies(run, [(lead_agency_id, "lead"), *((a, "assisting") for a in assisting)])
    add_tasks(run, tasks)
    rulebook.meet_deadline(session, situation, MET_BY_PLAN, now)
    if meeting is not None:
        meetings.enter_on_agenda(session, meeting.id, situation.id, outcome="planned", keep=True)
    if first_contact_due is not None:
        rulebook.set_deadline(session, situation, "first_contact", first_contact_due, "plan")
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
    return run.save()


def write_agencies(run: gatekeeper.Run, parts: list[tuple[int, str]]) -> None:
    """The plan's agencies, (agency, "lead" | "assisting"), replace the ones before: the plan
    and its later changes (workflow.replan) write the same rows."""
    context, situation_id = run.context, run.situation.id
    assert context is not None
    if context.involvements:
        run.session.connection().execute(delete(Involvement).where(
            Involvement.situation_id == situation_id))
    context.involvements = [Row(agency_id=a, role=role) for a, role in parts]
    appends.add(run.session, Involvement, [
        {"situation_id": situation_id, "agency_id": i.agency_id, "role": i.role}
        for i in context.involvements])


def add_tasks(run: gatekeeper.Run, tasks: list[TaskInput]) -> None:
    """New open tasks of the plan (or of a change to it), in the one write."""
    context = run.context
    assert context is not None
    appends.add(run.session, Task, [
        {"situation_id": run.situation.id, "agency_id": t.agency_id,
         "description": t.description.strip(), "due_date": t.due_date, "status": "open",
         "note": "", "created_at": run.now} for t in tasks])
    context.tasks.extend(Row(agency_id=t.agency_id, status="open") for t in tasks)


def check_tasks(tasks: list[TaskInput], owners: set[int]) -> None:
    for i, t in enumerate(tasks):
        if not t.description.strip() or len(t.description) > 300:
            raise ValidationError("each task needs a short description (up to 300 characters)",
                                  field=f"tasks[{i}].description")
        if t.agency_id not in owners:
            raise ValidationError("a task's owner must be the lead or an assisting agency",
                                  field=f"tasks[{i}].agency_id")


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
        rulebook.meet_deadline(session, situation, MET_BY_FIRST_CONTACT, at)
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
    run = gatekeeper.read(session, actor, "report_back", situation_id, now=now,
                          meeting_id=meeting_id, guard=False)
    situation, now = run.situation, run.now
    if len(progress_note) > 2000:
        raise ValidationError("the progress note is limited to 2000 characters",
                              field="progress_note")
    meeting = optional_meeting(run, meeting_id)
    _check_services(services or [])
    run.guard()
    _add_services(run, services or [])
    run.move()
    values = {"situation_id": situation.id, "meeting_id": meeting.id if meeting else None,
              "agency_id": actor.agency_id or situation.lead_agency_id, "user_id": actor.id,
              "progress_note": progress_note.strip(), "first_contact_made": first_contact_made,
              "still_aer": still_aer, "at": now}
    appends.add(session, ReportBack, values)
    if first_contact_made and situation.first_contact_at is None:
        situation.first_contact_at = now
        rulebook.meet_deadline(session, situation, MET_BY_FIRST_CONTACT, now)
    rulebook.meet_deadline(session, situation, "report_back", now)
    if meeting is not None:
        meetings.enter_on_agenda(session, meeting.id, situation.id, outcome="reported")
    run.after()
    run.save()
    return ReportBack(**values)  # as written (its id is the database's, after the write)


def _check_services(services: list[str]) -> None:
    known = load_catalog().codes("services")
    unknown = [s for s in services if s not in known]
    if unknown:
        raise ValidationError("unknown service(s): %(values)s", field="services",
                              values=', '.join(unknown))


def _add_services(run: gatekeeper.Run, services: list[str]) -> None:
    _check_services(services)
    assert run.context is not None
    have = {s.service_code for s in run.context.services}
    new = [code for code in dict.fromkeys(services) if code not in have]
    appends.add(run.session, SituationService,
                [{"situation_id": run.situation.id, "service_code": code} for code in new])
    run.context.services.extend(Row(service_code=code) for code in new)


def close(
    session: Session, actor: User, situation_id: int, *, conclusion_reason: str,
    services: list[str] | None = None, meeting_id: int | None = None,
    expected_version: int | None = None, now: datetime | None = None,
) -> Situation:
    """The table concludes: risk lowered, still AER, or transferred. The record stays."""
    run = gatekeeper.read(session, actor, "close", situation_id, now=now,
                          expected_version=expected_version, meeting_id=meeting_id, guard=False)
    if conclusion_reason not in load_catalog().codes("conclusion_reasons"):
        raise ValidationError("choose a conclusion reason (got %(conclusion_reason)r)",
                              field="conclusion_reason", conclusion_reason=conclusion_reason)
    situation, now = run.situation, run.now
    meeting = optional_meeting(run, meeting_id)
    _add_services(run, services or [])
    situation.conclusion_reason = conclusion_reason
    run.guard()
    run.move(reason=conclusion_reason)
    situation.closed_at = now
    rulebook.meet_deadline(session, situation, None, now)  # every open clock stops
    if meeting is not None:
        meetings.enter_on_agenda(session, meeting.id, situation.id, outcome="closed")
    emit(session, "situation.closed", table_id=situation.table_id, situation=situation,
         agency_ids=sorted({i.agency_id for i in situation.involvements}
                           | {situation.originating_agency_id}),
         extra={"conclusion_reason": conclusion_reason})
    run.after()
    return run.save()


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
