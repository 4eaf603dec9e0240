"""The shipped packs do what DOMAIN.md says, through the real commands and database:
the cases a table meets that the pack-level tests (evaluate() on hand-made facts) cannot see."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from support.factories import (
    build_world,
    close_meeting,
    in_intervention,
    open_meeting,
    submitted,
)

from workflow import dashboard, interventions, rounds, rulebook, situations
from workflow.identity import Identity, Person
from workflow.models import Flag, RuleFiring, Situation, utcnow
from workflow.sweep import sweep

DASH_14 = {q: True for q in (
    "current_injury", "very_frightened", "fears_serious_harm", "isolated", "depressed_suicidal",
    "recent_separation", "child_contact_conflict", "stalking_harassment", "pregnant_new_baby",
    "getting_worse", "controlling_jealous", "weapon", "threats_to_kill", "strangulation")}
CHILD_VICTIM = dict(age_group="12-15", risk_factors=[
    "physical_violence.person_victim", "missing_school.truancy"], aer_reasons=[])


def _vietnam(runtime):
    return build_world(runtime, country="VN", pack="vn-gbv-child-protection")


def _firings(world, sid: int) -> list[str]:
    with world.runtime.read() as s:
        return list(s.scalars(select(RuleFiring.rule_id).where(
            RuleFiring.situation_id == sid).order_by(RuleFiring.id)))


def _flags(world, sid: int) -> list[str]:
    with world.runtime.read() as s:
        return list(s.scalars(select(Flag.code).where(Flag.situation_id == sid,
                                                      Flag.cleared_at.is_(None))))


def _meetings_open(world, sid: int) -> tuple[int, int]:
    """The rules' count and the dashboard's count of meetings since acceptance."""
    with world.runtime.read() as s:
        rules_count = rulebook.meetings_open(s, s.get(Situation, sid))
        rows = {r.id: r for r in dashboard.dashboard(s, world.user(s, "chair"))}
        return rules_count, rows[sid].meetings_open


def _planned(world, sid: int, mid: int, now) -> None:
    """Disclosed to child protection and the school under the Law on Children, then planned."""
    with world.runtime.command() as s:
        chair = world.user(s, "chair")
        interventions.disclose(
            s, chair, sid, [world.agencies["cas"], world.agencies["school"]],
            basis="child_law_2016", vault=world.runtime.vault, meeting_id=mid, now=now,
            identity=Identity([Person(name="Child Example", birth_date="2012-04-01",
                                      address="1 Example Street", phone="555 0101")]))
        interventions.plan(s, chair, sid, lead_agency_id=world.agencies["cas"],
                           meeting_id=mid, now=now)


# -- Ontario: "a situation open more than 4 meetings is flagged" ------------------------------

def test_the_accepting_meeting_is_not_a_meeting_since_acceptance(world):
    # The table opened its next meeting before the time it was scheduled for (the factories,
    # and a chair who starts a few minutes early, do): the meeting that accepted the situation
    # counted as one held since, so the flag came a meeting early - and a minute's difference
    # in when the chair opened the meeting changed the count.
    start = utcnow() - timedelta(days=60)
    sid, mid = in_intervention(world, now=start)
    close_meeting(world, mid, now=start + timedelta(hours=1))
    assert _meetings_open(world, sid) == (0, 0)
    for week in range(1, 5):
        at = start + timedelta(days=7 * week)
        close_meeting(world, open_meeting(world, now=at), now=at + timedelta(hours=1))
    assert _meetings_open(world, sid) == (4, 4)
    sweep(world.runtime, now=start + timedelta(days=29))
    assert "open_more_than_4_meetings" not in _flags(world, sid)  # 4 is not more than 4
    at = start + timedelta(days=35)
    close_meeting(world, open_meeting(world, now=at), now=at + timedelta(hours=1))
    assert _meetings_open(world, sid) == (5, 5)
    sweep(world.runtime, now=at + timedelta(hours=2))
    assert _flags(world, sid).count("open_more_than_4_meetings") == 1


def test_a_decision_round_between_meetings_is_not_a_meeting(world):
    # A round decides under a one-sitting meeting record; it counted as a meeting held for
    # every situation open at the table, so rounds alone could flag a situation.
    start = utcnow() - timedelta(days=20)
    sid, mid = in_intervention(world, now=start)
    close_meeting(world, mid, now=start + timedelta(hours=1))
    later = start + timedelta(days=2)
    other = submitted(world, now=later)
    with world.runtime.command() as s:
        round_ = rounds.open_round(s, world.user(s, "chair"), [other],
                                   closes_at=later + timedelta(hours=4), now=later)
        round_id = round_.id
    for slug in ("police", "school", "cmha"):
        with world.runtime.command() as s:
            rounds.answer(s, world.user(s, slug), round_id, other, aer=True,
                          now=later + timedelta(hours=1))
    with world.runtime.command() as s:
        assert rounds.close_due(s, now=later + timedelta(hours=5)) == 1
    with world.runtime.read() as s:
        assert s.get(Situation, other).stage == "accepted"
    assert _meetings_open(world, sid) == (0, 0)


# -- Viet Nam: the clocks are met by what they ask for --------------------------------------

def _accepted_a_month_ago(world) -> tuple[int, int, datetime]:
    """Submitted, and accepted at a meeting, thirty days ago: every clock has long passed."""
    start = utcnow() - timedelta(days=30)
    sid = submitted(world, now=start)
    mid = open_meeting(world, now=start + timedelta(minutes=5))
    with world.runtime.command() as s:
        situations.accept(s, world.user(s, "chair"), sid, mid, now=start + timedelta(minutes=10))
    return sid, mid, start


def test_the_support_plan_clock_stops_when_the_plan_is_made(runtime):
    # Nothing met the support_plan deadline: five working days after acceptance the chair was
    # told "the support plan is overdue" about a case planned the same day.
    world = _vietnam(runtime)
    sid, mid, start = _accepted_a_month_ago(world)
    _planned(world, sid, mid, start + timedelta(minutes=20))
    sweep(world.runtime, now=start + timedelta(days=20))
    assert "support_plan.overdue" not in _firings(world, sid)


def test_the_support_plan_clock_still_escalates_without_a_plan(runtime):
    world = _vietnam(runtime)
    sid, _mid, start = _accepted_a_month_ago(world)
    sweep(world.runtime, now=start + timedelta(days=20))
    assert "support_plan.overdue" in _firings(world, sid)


def test_emergency_protection_is_met_by_the_first_contact(runtime):
    # The 12-hour clock of a child at risk was never met: it escalated to the chair and child
    # protection even when the agencies had reached the child within the hour.
    world = _vietnam(runtime)
    start = utcnow() - timedelta(days=3)
    sid = submitted(world, now=start, **CHILD_VICTIM)
    assert "duty_to_report" in _flags(world, sid)
    mid = open_meeting(world, now=start + timedelta(minutes=5))
    with world.runtime.command() as s:
        situations.accept(s, world.user(s, "chair"), sid, mid, now=start + timedelta(minutes=10))
    _planned(world, sid, mid, start + timedelta(minutes=20))
    with world.runtime.command() as s:
        interventions.record_first_contact(s, world.user(s, "cas"), sid,
                                           now=start + timedelta(hours=2))
    sweep(world.runtime, now=start + timedelta(hours=13))
    assert "emergency_protection.overdue" not in _firings(world, sid)


def test_emergency_protection_still_escalates_without_contact(runtime):
    world = _vietnam(runtime)
    start = utcnow() - timedelta(days=3)
    sid = submitted(world, now=start, **CHILD_VICTIM)
    sweep(world.runtime, now=start + timedelta(hours=13))
    assert "emergency_protection.overdue" in _firings(world, sid)


# -- Viet Nam: the checklist flag, once per occurrence ---------------------------------------

def test_a_cleared_screening_flag_is_not_raised_again_at_acceptance(runtime):
    # The high-risk screening rule listened to submit AND accept: the answers cannot change
    # after submission, yet a flag the chair had dealt with came back at the decision.
    world = _vietnam(runtime)
    start = utcnow() - timedelta(days=2)
    sid = submitted(world, now=start, screening_answers=DASH_14)
    assert "high_risk_screening" in _flags(world, sid)
    with world.runtime.command() as s:
        flag = s.scalar(select(Flag).where(Flag.situation_id == sid,
                                           Flag.code == "high_risk_screening"))
        interventions.clear_flag(s, world.user(s, "chair"), flag.id,
                                 now=start + timedelta(minutes=1))
    mid = open_meeting(world, now=start + timedelta(minutes=5))
    with world.runtime.command() as s:
        situations.accept(s, world.user(s, "chair"), sid, mid, now=start + timedelta(minutes=10))
    assert "high_risk_screening" not in _flags(world, sid)
    assert _firings(world, sid).count("submit.high_risk_screening") == 1


def test_thirteen_yes_is_not_high_risk(runtime):
    world = _vietnam(runtime)
    answers = dict(DASH_14, strangulation=False)
    sid = submitted(world, screening_answers=answers)
    assert "high_risk_screening" not in _flags(world, sid)


# -- Viet Nam: "a child (under 16) with abuse or neglect factors" ----------------------------

def test_a_trafficked_child_raises_the_duty_to_report(runtime):
    # Exploitation and trafficking are abuse of a child (Law on Children 2016, art. 4: "xâm hại
    # trẻ em" includes bóc lột and mua bán), but the rule did not read that factor.
    world = _vietnam(runtime)
    sid = submitted(world, age_group="6-11", risk_factors=[
        "criminal_victimization.exploitation_trafficking", "missing_school.truancy"],
        aer_reasons=[])
    assert "duty_to_report" in _flags(world, sid)
    assert "submit.child_duty_to_report" in _firings(world, sid)


def test_sixteen_is_not_a_child_for_the_duty_to_report(runtime):
    world = _vietnam(runtime)
    sid = submitted(world, **dict(CHILD_VICTIM, age_group="16-17"))
    assert "duty_to_report" not in _flags(world, sid)


def test_neglect_of_a_child_raises_the_duty_to_report(runtime):
    world = _vietnam(runtime)
    sid = submitted(world, age_group="0-5", risk_factors=[
        "supervision.child_left_alone", "housing.transient"], aer_reasons=[])
    assert "duty_to_report" in _flags(world, sid)
