"""Changing the plan of a running intervention, the whole specification, on SQLite and on
PostgreSQL: who leads and assists after it, its transition and audit entries, who is told
what, the version step, the first-contact clock, every refusal writing nothing, and the
reports' durations and indicators, which read the plan and not its later changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support.factories import close_meeting, in_intervention, open_meeting

from workflow import audit, directory_admin, interventions, meetings, replan
from workflow.errors import (
    ConcurrentEdit,
    DomainError,
    IllegalTransition,
    PermissionDenied,
    ValidationError,
)
from workflow.models import (
    AuditEntry,
    Deadline,
    Involvement,
    OutboxEvent,
    Situation,
    Table,
    Transition,
    utcnow,
)
from workflow.reports import build_report, parse_period, refresh_rollups, resolve_scope


def _state(world, sid: int) -> tuple:
    """Everything a refused command must leave as it was."""
    with world.runtime.read() as s:
        situation = s.get_one(Situation, sid)
        return (situation.version, situation.lead_agency_id,
                sorted((i.agency_id, i.role) for i in situation.involvements),
                situation.first_contact_due, len(situation.tasks),
                *(s.scalar(select(func.count()).select_from(model)) for model in
                  (AuditEntry, OutboxEvent, Transition, Deadline)))


def _events(world, sid: int, since: int) -> list[tuple[str, list[int], dict]]:
    with world.runtime.read() as s:
        rows = s.scalars(select(OutboxEvent).where(OutboxEvent.situation_id == sid,
                                                   OutboxEvent.id > since)
                         .order_by(OutboxEvent.id))
        return [(e.event_type, e.agency_ids, e.payload) for e in rows]


def _last_event_id(world) -> int:
    with world.runtime.read() as s:
        return s.scalar(select(func.max(OutboxEvent.id))) or 0


def _deactivate(world, slug: str) -> None:
    with world.runtime.command() as s:
        directory_admin.update_agency(s, world.user(s, "admin"), world.agencies[slug],
                                      active=False, open_work_understood=True)


def test_the_chair_hands_the_lead_to_housing_and_each_agency_whose_part_changed_is_told(world):
    a = world.agencies
    sid, mid = in_intervention(world)  # CMHA leads, housing assists; school is granted too
    with world.runtime.read() as s:
        version = s.get_one(Situation, sid).version
    since = _last_event_id(world)
    with world.runtime.command() as s:
        replan.replan(s, world.user(s, "chair"), sid, lead_agency_id=a["housing"],
                      assisting_agency_ids=[a["school"]], meeting_id=mid,
                      expected_version=version)
    with world.runtime.read() as s:
        situation = s.get_one(Situation, sid)
        assert situation.stage == "intervention"
        assert situation.lead_agency_id == a["housing"]
        assert sorted((i.agency_id, i.role) for i in situation.involvements) == sorted(
            [(a["housing"], "lead"), (a["school"], "assisting")])
        assert situation.version == version + 1
        last = s.scalars(select(Transition).where(Transition.situation_id == sid)
                         .order_by(Transition.id.desc())).first()
        assert (last.command, last.from_stage, last.to_stage, last.meeting_id) == (
            "replan", "intervention", "intervention", mid)
        entries = s.scalars(select(AuditEntry).where(AuditEntry.situation_id == sid)
                            .order_by(AuditEntry.id.desc()).limit(2)).all()
        assert [e.action for e in entries] == ["plan.change", "situation.replan"]
        assert {k: entries[0].detail[k] for k in ("lead_from", "lead_to", "joined", "left")} \
            == {"lead_from": a["cmha"], "lead_to": a["housing"], "joined": [a["school"]],
                "left": [a["cmha"]]}
        assert entries[0].actor_id == world.users["chair"]
        checked, problems = audit.verify(s)
        assert checked and problems == []
    told = _events(world, sid, since)
    assert [(kind, agencies) for kind, agencies, _payload in told] == [
        ("situation.lead_assigned", [a["housing"]]),
        ("situation.assisting_assigned", [a["school"]]),
        ("situation.unassigned", [a["cmha"]]),
    ]
    assert told[0][2]["due_at"] is not None  # the new lead hears when first contact is due
    assert told[2][2]["part"] == "lead"
    allowed = {"situation_id", "ref", "table_id", "stage", "due_at", "part"}
    assert all(set(payload) <= allowed for _kind, _agencies, payload in told)


def test_a_plan_changed_at_a_later_meeting_shows_in_its_minutes(world):
    sid, first = in_intervention(world)
    close_meeting(world, first)
    second = open_meeting(world, now=utcnow() + timedelta(days=7))
    with world.runtime.command() as s:
        replan.replan(s, world.user(s, "chair"), sid,
                      assisting_agency_ids=[world.agencies["housing"], world.agencies["school"]],
                      meeting_id=second)
    with world.runtime.read() as s:
        items = meetings.minutes(s, world.user(s, "chair"), second).items
        assert [(i.kind, i.outcome) for i in items] == [("report_back", "replanned")]


def test_every_refusal_is_specific_and_writes_nothing(world):
    a = world.agencies
    sid, _mid = in_intervention(world)
    _deactivate(world, "hospital")
    before = _state(world, sid)
    version = before[0]

    def refused(error: type[DomainError], **change) -> DomainError:
        with world.runtime.command() as s, pytest.raises(error) as caught:
            actor = world.user(s, change.pop("actor", "chair"))
            replan.replan(s, actor, change.pop("situation", sid), **change)
        return caught.value

    assert "chair" in str(refused(PermissionDenied, actor="cmha", lead_agency_id=a["housing"]))
    ungranted = refused(ValidationError, lead_agency_id=a["police"])
    assert ungranted.field == "lead_agency_id"
    assert str(ungranted).startswith("Peel Police has not been granted disclosure")
    inactive = refused(ValidationError, assisting_agency_ids=[a["housing"], a["hospital"]])
    assert inactive.field == "assisting_agency_ids"
    assert str(inactive).startswith("Regional Hospital is not active")
    outsider = refused(ValidationError, assisting_agency_ids=[a["housing"], a["outsider"]])
    assert str(outsider) == "Agency at another table is not a member of this table"
    assert str(refused(ValidationError, lead_agency_id=999999)).startswith("#999999 is not")
    assert "the plan is unchanged" in str(refused(ValidationError,
                                                  lead_agency_id=a["cmha"]))
    stale = refused(ConcurrentEdit, lead_agency_id=a["housing"], expected_version=version - 1)
    assert stale.field == "version"
    leaving = refused(ValidationError, assisting_agency_ids=[])  # housing's task is open
    assert str(leaving).startswith("Housing Services still has open tasks")
    assert _state(world, sid) == before


def test_only_a_running_intervention_has_its_plan_changed(world):
    a = world.agencies
    sid, mid = in_intervention(world)
    with world.runtime.command() as s:
        chair = world.user(s, "chair")
        interventions.update_task(s, chair, s.get_one(Situation, sid).tasks[0].id,
                                  status="done")
        interventions.close(s, chair, sid, conclusion_reason="lowered_connected",
                            meeting_id=mid)
    before = _state(world, sid)
    with world.runtime.command() as s, pytest.raises(IllegalTransition) as closed:
        replan.replan(s, world.user(s, "chair"), sid, lead_agency_id=a["housing"])
    assert "closed" in str(closed.value)
    assert _state(world, sid) == before


def test_the_first_contact_clock_keeps_running_unless_the_chair_gives_a_new_time(world):
    a = world.agencies
    sid, _mid = in_intervention(world)

    def deadline():
        with world.runtime.read() as s:
            row = s.scalars(select(Deadline).where(Deadline.situation_id == sid,
                                                   Deadline.kind == "first_contact")).one()
            return row.due_at, row.rule_id, s.get_one(Situation, sid).first_contact_due

    kept = deadline()
    with world.runtime.command() as s:
        replan.replan(s, world.user(s, "chair"), sid, lead_agency_id=a["housing"])
    assert deadline() == kept
    later = (utcnow() + timedelta(days=4)).replace(microsecond=0)
    since = _last_event_id(world)
    with world.runtime.command() as s:
        replan.replan(s, world.user(s, "chair"), sid, first_contact_due=later)
    due_at, rule_id, on_situation = deadline()
    assert rule_id == "replan"
    assert due_at.replace(tzinfo=None) == on_situation.replace(tzinfo=None) == \
        later.replace(tzinfo=None)
    told = _events(world, sid, since)
    assert [(kind, agencies) for kind, agencies, _ in told] == [
        ("situation.lead_assigned", [a["housing"]])]  # the lead hears the new time
    with world.runtime.command() as s:
        interventions.record_first_contact(s, world.user(s, "housing"), sid)
    before = _state(world, sid)
    with world.runtime.command() as s, pytest.raises(ValidationError) as made:
        replan.replan(s, world.user(s, "chair"), sid, first_contact_due=later + timedelta(1))
    assert made.value.field == "first_contact_due"
    assert _state(world, sid) == before


def test_an_agency_the_administrator_deactivated_is_replaced_once_its_tasks_are_marked(world):
    """The chairs were told to plan who takes on its part (workflow.agency_notices)."""
    a = world.agencies
    sid, _mid = in_intervention(world)
    _deactivate(world, "housing")  # it assists and owns an open task
    with world.runtime.command() as s, pytest.raises(ValidationError) as kept:
        replan.replan(s, world.user(s, "chair"), sid, lead_agency_id=a["cmha"],
                      assisting_agency_ids=[a["housing"]], first_contact_due=None,
                      tasks=[interventions.TaskInput(a["cmha"], "Visit")])
    assert str(kept.value).startswith("Housing Services is not active")
    with world.runtime.command() as s, pytest.raises(ValidationError, match="open tasks"):
        replan.replan(s, world.user(s, "chair"), sid, assisting_agency_ids=[a["school"]])
    with world.runtime.command() as s:
        chair = world.user(s, "chair")
        interventions.update_task(s, chair, s.get_one(Situation, sid).tasks[0].id,
                                  status="not_done", note="The agency left the table")
    since = _last_event_id(world)
    with world.runtime.command() as s:
        replan.replan(s, world.user(s, "chair"), sid, assisting_agency_ids=[a["school"]],
                      tasks=[interventions.TaskInput(a["school"], "Find a shelter bed")])
    with world.runtime.read() as s:
        situation = s.get_one(Situation, sid)
        assert situation.assisting_agency_ids == [a["school"]]
        assert s.scalar(select(func.count(Involvement.id)).where(
            Involvement.agency_id == a["housing"], Involvement.situation_id == sid)) == 0
        assert [(t.agency_id, t.status) for t in situation.tasks] == [
            (a["housing"], "not_done"), (a["school"], "open")]
    assert [(kind, agencies) for kind, agencies, _ in _events(world, sid, since)] == [
        ("situation.assisting_assigned", [a["school"]]),
        ("situation.unassigned", [a["housing"]]),
        ("task.assigned", [a["school"]]),
    ]


def _figures(world) -> tuple[list, list, dict]:
    """Durations, indicators and the lead sectors of this month's report, uncensored."""
    now = utcnow()
    start = now.date().replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    with world.runtime.read() as s:
        scope = resolve_scope(s, parse_period(start.isoformat(), end.isoformat()),
                              table="PEEL")
        report = build_report(s, scope, now=now + timedelta(hours=1))
        leads = {str(r["code"]): [c.text for c in r["cells"]]
                 for r in report.figure("lead_sectors").rows}
        return ([vars(x) for x in report.statistics], [vars(x) for x in report.indicators],
                leads)


def test_a_changed_plan_enters_no_duration_or_indicator(world):
    """The reports read the plan's facts (acceptance, first contact, closure), never a
    transition: a replan moves the lead's sector and nothing else. Rollups built before it
    see its day as changed, so they say what the situations say."""
    with world.runtime.command() as s:
        s.get_one(Table, world.table_id).small_cell_threshold = 1
    sid, _mid = in_intervention(world)
    in_intervention(world)
    with world.runtime.command() as s:
        interventions.record_first_contact(s, world.user(s, "cmha"), sid)
    with world.runtime.command() as s:
        refresh_rollups(s, full=True)
    durations, indicators, leads = _figures(world)
    assert leads["mental_health"][0] == "2"
    with world.runtime.command() as s:
        replan.replan(s, world.user(s, "chair"), sid, lead_agency_id=world.agencies["housing"])
    after = _figures(world)
    assert after[0] == durations
    assert after[1] == indicators
    assert after[2]["mental_health"][0] == "1" and after[2]["housing"][0] == "1"
