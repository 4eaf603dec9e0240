"""Filters 3 and 4 and after (workflow/interventions.py): happy paths and refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from workflow import interventions, situations
from workflow.errors import (
    DomainError,
    IllegalTransition,
    NotFound,
    PermissionDenied,
    RuleRefusal,
    ValidationError,
)
from workflow.identity import Identity, Person
from workflow.models import Deadline, Flag, Task, utcnow

JANE = Identity([Person(name="Jane Example", birth_date="1999-04-01",
                        address="12 Example Street", phone="555 0100")])


def test_disclose_grants_the_named_agencies_and_stores_the_identity(
        db, cmd, user, steps, core_runtime, outbox):
    sit, meeting = steps.accepted()
    with cmd() as s:
        interventions.disclose(s, user("chair"), sit.id,
                               [steps.agency("cmha"), steps.agency("housing")], basis="phipa_40_1",
                               vault=core_runtime.vault, identity=JANE, meeting_id=meeting.id)
    assert sit.stage == "disclosed"
    assert sit.granted_agency_ids == {steps.agency("cmha"), steps.agency("housing")}
    assert core_runtime.vault.exists(db, sit.id)
    with cmd() as s:  # a granted agency reads it; the originating one may not
        assert core_runtime.vault.read(s, user("cmha"), sit).persons[0].name == "Jane Example"
    assert "situation.disclosed" in outbox(sit.id)


def test_disclose_refuses_before_acceptance_non_chairs_and_agencies_off_the_table(
        cmd, user, steps):
    early = steps.submitted()
    with pytest.raises(IllegalTransition), cmd() as s:
        interventions.disclose(s, user("chair"), early.id, [steps.agency("cmha")],
                               basis="phipa_40_1")
    sit, _ = steps.accepted()
    with pytest.raises(PermissionDenied), cmd() as s:
        interventions.disclose(s, user("school"), sit.id, [steps.agency("cmha")],
                               basis="phipa_40_1")
    with pytest.raises(ValidationError), cmd() as s:
        interventions.disclose(s, user("chair"), sit.id, [steps.agency("outsider")],
                               basis="phipa_40_1")
    with pytest.raises(ValidationError), cmd() as s:
        interventions.disclose(s, user("chair"), sit.id, [], basis="phipa_40_1")
    with pytest.raises(DomainError, match="vault"), cmd() as s:
        interventions.disclose(s, user("chair"), sit.id, [steps.agency("cmha")],
                               basis="phipa_40_1", identity=JANE)
    assert sit.stage == "accepted"
    assert sit.granted_agency_ids == set()


def test_plan_names_the_lead_the_assisting_agencies_and_tasks(db, cmd, user, steps, outbox):
    sit, meeting = steps.disclosed()
    due = utcnow() + timedelta(days=2)
    with cmd() as s:
        interventions.plan(
            s, user("chair"), sit.id, lead_agency_id=steps.agency("cmha"),
            assisting_agency_ids=[steps.agency("housing")],
            tasks=[interventions.TaskInput(steps.agency("housing"), "Find a shelter bed")],
            first_contact_due=due, meeting_id=meeting.id)
    assert sit.stage == "intervention"
    assert sit.lead_agency_id == steps.agency("cmha")
    assert {(i.agency_id, i.role) for i in sit.involvements} == {
        (steps.agency("cmha"), "lead"), (steps.agency("housing"), "assisting")}
    assert [t.description for t in sit.tasks] == ["Find a shelter bed"]
    kinds = set(db.scalars(select(Deadline.kind).where(Deadline.situation_id == sit.id,
                                                       Deadline.met_at.is_(None))))
    assert "first_contact" in kinds
    assert "situation.lead_assigned" in outbox(sit.id)


def test_plan_refuses_an_ungranted_lead_stray_tasks_and_a_past_due_date(cmd, user, steps):
    sit, _ = steps.disclosed()
    chair = user("chair")
    with pytest.raises(ValidationError) as ungranted, cmd() as s:
        interventions.plan(s, chair, sit.id, lead_agency_id=steps.agency("police"))
    assert ungranted.value.field == "lead_agency_id"
    with pytest.raises(ValidationError) as stray, cmd() as s:
        interventions.plan(s, chair, sit.id, lead_agency_id=steps.agency("cmha"),
                           tasks=[interventions.TaskInput(steps.agency("police"), "Visit")])
    assert stray.value.field == "tasks[0].agency_id"
    with pytest.raises(ValidationError) as empty, cmd() as s:
        interventions.plan(s, chair, sit.id, lead_agency_id=steps.agency("cmha"),
                           tasks=[interventions.TaskInput(steps.agency("cmha"), "  ")])
    assert empty.value.field == "tasks[0].description"
    with pytest.raises(ValidationError) as past, cmd() as s:
        interventions.plan(s, chair, sit.id, lead_agency_id=steps.agency("cmha"),
                           first_contact_due=utcnow() - timedelta(days=1))
    assert past.value.field == "first_contact_due"
    with pytest.raises(PermissionDenied), cmd() as s:
        interventions.plan(s, user("cmha"), sit.id, lead_agency_id=steps.agency("cmha"))
    assert sit.stage == "disclosed"


def test_record_first_contact_meets_the_deadline(db, cmd, user, steps):
    sit, _ = steps.planned()
    with cmd() as s:
        interventions.record_first_contact(s, user("cmha"), sit.id)
    assert sit.first_contact_at is not None
    open_kinds = set(db.scalars(select(Deadline.kind).where(Deadline.situation_id == sit.id,
                                                            Deadline.met_at.is_(None))))
    assert "first_contact" not in open_kinds


def test_record_first_contact_refuses_outsiders_the_future_and_ended_ones(
        cmd, user, steps, core_runtime):
    sit, _ = steps.planned()
    with pytest.raises(PermissionDenied), cmd() as s:
        interventions.record_first_contact(s, user("chair"), sit.id)
    with pytest.raises(ValidationError), cmd() as s:
        interventions.record_first_contact(s, user("cmha"), sit.id,
                                           at=utcnow() + timedelta(hours=1))
    assert sit.first_contact_at is None
    with cmd() as s:
        situations.withdraw(s, user("school"), sit.id, "duplicate", core_runtime.vault)
    with pytest.raises(IllegalTransition, match="withdrawn"), cmd() as s:
        interventions.record_first_contact(s, user("cmha"), sit.id)


def test_update_task_by_its_agency(cmd, user, steps):
    sit, _ = steps.planned()
    task = sit.tasks[0]
    with cmd() as s:
        interventions.update_task(s, user("housing"), task.id, status="done")
    assert task.status == "done"
    assert task.completed_at is not None


def test_update_task_refuses_others_unknown_statuses_and_unexplained_failures(
        db, cmd, user, steps):
    sit, _ = steps.planned()
    task = sit.tasks[0]
    with pytest.raises(PermissionDenied), cmd() as s:
        interventions.update_task(s, user("cmha"), task.id, status="done")
    with pytest.raises(ValidationError), cmd() as s:
        interventions.update_task(s, user("housing"), task.id, status="finished")
    with pytest.raises(ValidationError) as unexplained, cmd() as s:
        interventions.update_task(s, user("housing"), task.id, status="not_done")
    assert unexplained.value.field == "note"
    with pytest.raises(NotFound), cmd() as s:
        interventions.update_task(s, user("housing"), 999_999, status="done")
    assert db.get(Task, task.id).status == "open"


def test_report_back_records_progress_and_services(cmd, user, steps):
    sit, meeting = steps.planned()
    with cmd() as s:
        rb = interventions.report_back(s, user("cmha"), sit.id, progress_note=" Contact made. ",
                                       first_contact_made=True, still_aer=True,
                                       meeting_id=meeting.id, services=["housing", "housing"])
    assert (rb.progress_note, rb.still_aer) == ("Contact made.", True)
    assert sit.stage == "intervention"
    assert sit.first_contact_at is not None
    assert [x.service_code for x in sit.services] == ["housing"]


def test_report_back_refuses_uninvolved_agencies_long_notes_and_unknown_services(
        cmd, user, steps):
    sit, _ = steps.planned()
    with pytest.raises(NotFound), cmd() as s:
        interventions.report_back(s, user("police"), sit.id, progress_note="x",
                                  first_contact_made=False, still_aer=True)
    with pytest.raises(ValidationError), cmd() as s:
        interventions.report_back(s, user("cmha"), sit.id, progress_note="x" * 2001,
                                  first_contact_made=False, still_aer=True)
    with pytest.raises(ValidationError) as unknown, cmd() as s:
        interventions.report_back(s, user("cmha"), sit.id, progress_note="x",
                                  first_contact_made=False, still_aer=True,
                                  services=["astrology"])
    assert unknown.value.field == "services"
    early, _ = steps.disclosed()
    with pytest.raises(IllegalTransition), cmd() as s:
        interventions.report_back(s, user("chair"), early.id, progress_note="x",
                                  first_contact_made=False, still_aer=True)
    assert sit.report_backs == []


def test_close_concludes_and_meets_every_open_deadline(db, cmd, user, steps, outbox):
    sit, meeting = steps.planned()
    with cmd() as s:
        interventions.update_task(s, user("housing"), sit.tasks[0].id, status="done")
    with cmd() as s:
        interventions.close(s, user("chair"), sit.id, conclusion_reason="lowered_connected",
                            meeting_id=meeting.id)
    assert sit.stage == "closed"
    assert sit.closed_at is not None
    assert db.scalar(select(Deadline.id).where(Deadline.situation_id == sit.id,
                                               Deadline.met_at.is_(None))) is None
    assert "situation.closed" in outbox(sit.id)


def test_close_refuses_open_tasks_unknown_reasons_and_non_chairs(cmd, user, steps):
    sit, _ = steps.planned()
    with pytest.raises(RuleRefusal), cmd() as s:  # the housing task is neither done nor explained
        interventions.close(s, user("chair"), sit.id, conclusion_reason="lowered_connected")
    with pytest.raises(ValidationError), cmd() as s:
        interventions.close(s, user("chair"), sit.id, conclusion_reason="happy_end")
    with pytest.raises(PermissionDenied), cmd() as s:
        interventions.close(s, user("cmha"), sit.id, conclusion_reason="lowered_connected")
    accepted, _ = steps.accepted()
    with pytest.raises(IllegalTransition), cmd() as s:
        interventions.close(s, user("chair"), accepted.id, conclusion_reason="transferred")
    assert sit.stage == "intervention"


def _flagged(steps, cmd, user, db):
    """A re-presentation inside the pack's window: the pack raises a flag on submit."""
    earlier = steps.rejected()
    with cmd() as s:
        again = situations.re_present(s, user("school"), earlier.id)
    with cmd() as s:
        situations.submit(s, user("school"), again.id)
    return db.scalars(select(Flag).where(Flag.situation_id == again.id)).one()


def test_clear_flag_by_the_chair(db, cmd, user, steps):
    flag = _flagged(steps, cmd, user, db)
    with cmd() as s:
        interventions.clear_flag(s, user("chair"), flag.id)
    assert flag.cleared_at is not None
    assert flag.cleared_by_id == user("chair").id


def test_clear_flag_refuses_agencies_and_unknown_flags(db, cmd, user, steps):
    flag = _flagged(steps, cmd, user, db)
    with pytest.raises(PermissionDenied), cmd() as s:
        interventions.clear_flag(s, user("school"), flag.id)
    with pytest.raises(NotFound), cmd() as s:
        interventions.clear_flag(s, user("chair"), 999_999)
    assert flag.cleared_at is None
