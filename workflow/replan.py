"""Changing the plan while the intervention runs: who leads, who assists, what more is to do.

Why a command of its own and not `plan` again: the plan is filter 4's decision, and what is
timed from it (its transition, the support-plan deadline it meets) must not move when the table
later hands the lead to housing, or replaces an agency an administrator deactivated. `replan`
keeps the stage, has its own transition and audit action, and meets no deadline.

The plan's checks hold (workflow.interventions): every agency sits at the table and is active,
the lead was granted disclosure, a task goes to the lead or an assisting agency, and a lead
listed among the assisting agencies leads (it is dropped from them, as the plan does). Two more:
- an agency leaves the plan only once its open tasks are marked done or not done: no command
  hands a task over, and a task left open with an agency that no longer takes part would stay
  in its task list and in the closure's review of open actions, with nobody to do it;
- a change changes something.
The first-contact clock keeps running unless the chair gives a new time; once first contact
is made, its time stays. Each agency whose part changed is told; nobody else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from workflow import audit, gatekeeper, meetings, rulebook
from workflow.errors import ValidationError
from workflow.interventions import (
    TaskInput,
    add_tasks,
    check_tasks,
    optional_meeting,
    write_agencies,
)
from workflow.models import Agency, Involvement, Situation, User
from workflow.outbox import emit

LEAD, ASSISTING = "lead", "assisting"
#: The outcome a meeting's minutes show for a plan changed there (workflow.meetings).
OUTCOME = "replanned"


@dataclass(frozen=True)
class PlanChange:
    """The plan's agencies before and after: what is written, told and audited."""

    lead_before: int | None
    lead: int
    assisting_before: tuple[int, ...]
    assisting: tuple[int, ...]

    @property
    def parts_before(self) -> dict[int, str]:
        parts = dict.fromkeys(self.assisting_before, ASSISTING)
        if self.lead_before is not None:
            parts[self.lead_before] = LEAD
        return parts

    @property
    def parts(self) -> dict[int, str]:
        return {self.lead: LEAD, **dict.fromkeys(self.assisting, ASSISTING)}

    @property
    def changes_agencies(self) -> bool:
        return self.parts != self.parts_before

    def left(self) -> dict[int, str]:
        """Agencies that take no part any more, with the part they had."""
        after = self.parts
        return {a: part for a, part in self.parts_before.items() if a not in after}

    def given(self, part: str) -> list[int]:
        """Agencies that now have `part` and did not have it before."""
        before = self.parts_before
        return [a for a, p in self.parts.items() if p == part and before.get(a) != part]

    def detail(self) -> dict[str, Any]:
        """For the audit log: agency ids only."""
        before, after = set(self.parts_before), set(self.parts)
        return {"lead_from": self.lead_before, "lead_to": self.lead,
                "joined": sorted(after - before), "left": sorted(before - after)}


def replan(
    session: Session, actor: User, situation_id: int, *, lead_agency_id: int | None = None,
    assisting_agency_ids: list[int] | None = None, tasks: list[TaskInput] | None = None,
    first_contact_due: datetime | None = None, meeting_id: int | None = None,
    expected_version: int | None = None, now: datetime | None = None,
) -> Situation:
    """Filter 4 again, while the intervention runs: another lead (None: the same), other
    assisting agencies (None: the same, less a new lead), more tasks, a new first-contact
    time. The table's chair only, at an open meeting or between meetings."""
    run = gatekeeper.read(session, actor, "replan", situation_id, now=now,
                          expected_version=expected_version, meeting_id=meeting_id, guard=False)
    situation, context, now = run.situation, run.context, run.now
    assert context is not None
    meeting = optional_meeting(run, meeting_id)
    change = _change(run, lead_agency_id, assisting_agency_ids)
    tasks = tasks or []
    if not (change.changes_agencies or tasks or first_contact_due is not None):
        raise ValidationError("the plan is unchanged: choose another lead or other assisting "
                              "agencies, add a task, or give a new first-contact time")
    _check_agencies(run, change)
    check_tasks(tasks, set(change.parts))
    _check_due(run, first_contact_due)
    _check_leaving(run, change)
    run.guard()
    run.move()
    if change.changes_agencies:  # the same rows as the plan's, replaced as the plan does
        situation.lead_agency_id = change.lead
        _forget_held(session, situation.id)
        write_agencies(run, list(change.parts.items()))
    add_tasks(run, tasks)
    if first_contact_due is not None:
        rulebook.set_deadline(session, situation, "first_contact", first_contact_due, "replan")
    if meeting is not None:
        meetings.enter_on_agenda(session, meeting.id, situation.id, outcome=OUTCOME, keep=True)
    audit.record(session, "plan.change", actor=actor, situation_id=situation.id,
                 detail={**change.detail(), "tasks_added": len(tasks),
                         "first_contact_due": first_contact_due.isoformat()
                         if first_contact_due else None, "meeting_id": meeting_id},
                 now=now)
    _tell(session, situation, change, tasks, due_moved=first_contact_due is not None)
    run.after()
    return run.save()


def _forget_held(session: Session, situation_id: int) -> None:
    """The involvements this session holds of the situation leave it before their rows are
    deleted behind the ORM's back: one expired since would fail to reload at the save."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Involvement) and obj.situation_id == situation_id:
            session.expunge(obj)


def _change(run: gatekeeper.Run, lead_agency_id: int | None,
            assisting_agency_ids: list[int] | None) -> PlanChange:
    situation = run.situation
    lead = lead_agency_id if lead_agency_id is not None else situation.lead_agency_id
    assert lead is not None, "a situation in intervention has a lead"
    before = tuple(situation.assisting_agency_ids)
    chosen = before if assisting_agency_ids is None else assisting_agency_ids
    # a lead assists no more (as the plan does): "housing leads now" needs no second click
    assisting = tuple(a for a in dict.fromkeys(chosen) if a != lead)
    return PlanChange(situation.lead_agency_id, lead, before, assisting)


def _name(session: Session, agency_id: int) -> str:
    """An agency as a person knows it: its name, or its number if there is no such agency."""
    agency = session.get(Agency, agency_id)
    return agency.name if agency is not None else f"#{agency_id}"


def _check_agencies(run: gatekeeper.Run, change: PlanChange) -> None:
    """Every agency of the new plan sits at the table and is active; the lead was granted."""
    context = run.context
    assert context is not None
    for agency_id, part in change.parts.items():
        field = "lead_agency_id" if part == LEAD else "assisting_agency_ids"
        if agency_id not in context.members:
            raise ValidationError("%(agency)s is not a member of this table", field=field,
                                  agency=_name(run.session, agency_id))
        if agency_id in context.inactive:  # its users cannot sign in, nor is it told
            raise ValidationError(
                "%(agency)s is not active: an administrator deactivated it; choose another "
                "agency", field=field, agency=_name(run.session, agency_id))
    if change.lead not in context.granted_agency_ids:
        raise ValidationError(
            "%(agency)s has not been granted disclosure: grant it disclosure first, then make "
            "it the lead", field="lead_agency_id", agency=_name(run.session, change.lead))


def _check_due(run: gatekeeper.Run, due: datetime | None) -> None:
    """A new first-contact time, within the plan's bounds, while first contact is not made."""
    if due is None:
        return
    if run.situation.first_contact_at is not None:
        raise ValidationError("first contact was already made: its time does not change",
                              field="first_contact_due")
    now = run.now
    if not now.year <= due.year <= now.year + 2:
        raise ValidationError("the first-contact date must be within the next two years",
                              field="first_contact_due")
    if due < now:
        raise ValidationError("the first-contact date is in the past", field="first_contact_due")


def _check_leaving(run: gatekeeper.Run, change: PlanChange) -> None:
    """An agency leaves only without open tasks (nobody could hand them on after)."""
    context = run.context
    assert context is not None
    for agency_id, part in change.left().items():
        if any(t.agency_id == agency_id and t.status == "open" for t in context.tasks):
            raise ValidationError(
                "%(agency)s still has open tasks here: mark each done or not done (saying "
                "why) before it leaves the plan",
                field="lead_agency_id" if part == LEAD else "assisting_agency_ids",
                agency=_name(run.session, agency_id))


def _tell(session: Session, situation: Situation, change: PlanChange, tasks: list[TaskInput],
          *, due_moved: bool) -> None:
    """Each agency whose part changed hears its new part, or that it has none any more; the
    lead hears a new first-contact time; each task's agency, its task."""
    table_id = situation.table_id
    if change.given(LEAD) or due_moved:
        emit(session, "situation.lead_assigned", table_id=table_id, situation=situation,
             agency_ids=[change.lead],
             extra={"due_at": situation.first_contact_due.isoformat()
                    if situation.first_contact_due and situation.first_contact_at is None
                    else None})
    if change.given(ASSISTING):
        emit(session, "situation.assisting_assigned", table_id=table_id, situation=situation,
             agency_ids=change.given(ASSISTING))
    for agency_id, part in change.left().items():
        emit(session, "situation.unassigned", table_id=table_id, situation=situation,
             agency_ids=[agency_id], extra={"part": part})
    for t in tasks:
        emit(session, "task.assigned", table_id=table_id, situation=situation,
             agency_ids=[t.agency_id],
             extra={"task_due": t.due_date.isoformat() if t.due_date else None})
