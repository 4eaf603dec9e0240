"""Changing the plan of a running intervention (workflow/replan.py): happy paths and refusals.

The fast half, on in-memory SQLite; tests/integration/test_replan.py runs the whole
specification on both databases.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from workflow import interventions, replan
from workflow.errors import IllegalTransition, PermissionDenied, ValidationError
from workflow.models import AuditEntry, Deadline, Transition, utcnow


def _actions(db, sid: int) -> list[str]:
    return list(db.scalars(select(AuditEntry.action).where(AuditEntry.situation_id == sid)
                           .order_by(AuditEntry.id)))


def test_replan_hands_the_lead_to_housing_and_tells_who_changed_part(db, cmd, user, steps,
                                                                     outbox):
    sit, meeting = steps.planned()
    version = sit.version
    with cmd() as s:
        replan.replan(s, user("chair"), sit.id, lead_agency_id=steps.agency("housing"),
                      meeting_id=meeting.id, expected_version=version)
    assert sit.stage == "intervention"
    assert sit.lead_agency_id == steps.agency("housing")
    assert {(i.agency_id, i.role) for i in sit.involvements} == {
        (steps.agency("housing"), "lead")}
    assert sit.version == version + 1
    assert _actions(db, sit.id)[-2:] == ["situation.replan", "plan.change"]
    last = db.scalars(select(Transition).where(Transition.situation_id == sit.id)
                      .order_by(Transition.id.desc())).first()
    assert (last.command, last.from_stage, last.to_stage) == (
        "replan", "intervention", "intervention")
    assert outbox(sit.id)[-2:] == ["situation.lead_assigned", "situation.unassigned"]


def test_replan_keeps_the_first_contact_clock_unless_a_new_time_is_given(db, cmd, user, steps):
    sit, _meeting = steps.planned()
    due = sit.first_contact_due
    assert due is not None
    with cmd() as s:
        replan.replan(s, user("chair"), sit.id, assisting_agency_ids=[
            steps.agency("housing"), steps.agency("school")])
    assert sit.first_contact_due == due
    later = utcnow().replace(microsecond=0) + timedelta(days=5)
    with cmd() as s:
        replan.replan(s, user("chair"), sit.id, first_contact_due=later)
    assert sit.first_contact_due.replace(tzinfo=None) == later.replace(tzinfo=None)
    rule = db.scalar(select(Deadline.rule_id).where(Deadline.situation_id == sit.id,
                                                    Deadline.kind == "first_contact"))
    assert rule == "replan"


def test_replan_refuses_non_chairs_other_stages_and_an_ungranted_lead(cmd, user, steps):
    sit, _meeting = steps.planned()
    with pytest.raises(PermissionDenied), cmd() as s:
        replan.replan(s, user("cmha"), sit.id, lead_agency_id=steps.agency("housing"))
    with pytest.raises(ValidationError) as ungranted, cmd() as s:
        replan.replan(s, user("chair"), sit.id, lead_agency_id=steps.agency("police"))
    assert ungranted.value.field == "lead_agency_id"
    assert "Peel Police has not been granted disclosure" in str(ungranted.value)
    early, _ = steps.disclosed()
    with pytest.raises(IllegalTransition), cmd() as s:
        replan.replan(s, user("chair"), early.id, lead_agency_id=steps.agency("cmha"))
    assert sit.lead_agency_id == steps.agency("cmha")


def test_replan_refuses_an_agency_leaving_with_open_tasks_until_they_are_marked(
        cmd, user, steps):
    sit, _meeting = steps.planned()  # housing assists and owns an open task
    with pytest.raises(ValidationError) as open_tasks, cmd() as s:
        replan.replan(s, user("chair"), sit.id, assisting_agency_ids=[])
    assert open_tasks.value.field == "assisting_agency_ids"
    assert "Housing Services still has open tasks" in str(open_tasks.value)
    with cmd() as s:
        interventions.update_task(s, user("chair"), sit.tasks[0].id, status="not_done",
                                  note="Housing left the plan")
    with cmd() as s:
        replan.replan(s, user("chair"), sit.id, assisting_agency_ids=[])
    assert sit.assisting_agency_ids == []


def test_replan_refuses_an_empty_change_and_a_new_lead_ticked_as_assisting_leads(cmd, user, steps):
    sit, _meeting = steps.planned()
    version = sit.version
    with pytest.raises(ValidationError, match="the plan is unchanged"), cmd() as s:
        replan.replan(s, user("chair"), sit.id, lead_agency_id=steps.agency("cmha"),
                      assisting_agency_ids=[steps.agency("housing")])
    assert sit.version == version
    with cmd() as s:  # a new lead ticked among the assisting agencies leads, as in the plan
        moved = replan.replan(s, user("chair"), sit.id, lead_agency_id=steps.agency("housing"),
                              assisting_agency_ids=[steps.agency("housing"),
                                                    steps.agency("cmha")])
    assert moved.lead_agency_id == steps.agency("housing")
    assert moved.assisting_agency_ids == [steps.agency("cmha")]
