"""The weekly meeting, as a chair meets it (review): what the table does in a sitting shows in
its minutes as done there, and nothing is recorded against a sitting that is not open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.factories import close_meeting, in_intervention, open_meeting, submitted

from web.conftest import signed_in
from workflow import audit, interventions, meetings, situations
from workflow.errors import DomainError
from workflow.models import utcnow


def _accepted_and_disclosed(world, now):
    """Accepted and disclosed to CMHA at a first meeting (closed), left without a plan."""
    sid = submitted(world, now=now)
    m1 = open_meeting(world, now=now)
    with world.runtime.command() as s:
        chair = world.user(s, "chair")
        situations.accept(s, chair, sid, m1, now=now)
        interventions.disclose(s, chair, sid, [world.agencies["cmha"]], basis="phipa_40_1",
                               meeting_id=m1, now=now)
    close_meeting(world, m1, now=now)
    return sid, m1


def _outcomes(world, mid):
    with world.runtime.read() as s:
        return {i.ref: i.outcome for i in meetings.minutes(s, world.user(s, "chair"), mid).items}


def _next_meeting(world, now):
    with world.runtime.command() as s:
        return meetings.next_meeting(s, world.table(s), now=now).id


def test_a_plan_is_not_recorded_against_a_meeting_that_is_not_open(app, world):
    """Before: the plan was taken 'at' a meeting not yet opened, and its minutes then said
    'not discussed'. Now it is refused, as a decision is, until the meeting is opened."""
    now = utcnow()
    sid, _m1 = _accepted_and_disclosed(world, now)
    m2 = _next_meeting(world, now)
    chair = signed_in(app, "chair")
    page = chair.post(f"/meetings/{m2}/situations/{sid}/plan",
                      data={"lead_agency_id": str(world.agencies["cmha"])})
    assert page.status_code == 400
    assert "open the meeting first" in page.get_data(as_text=True)
    with world.runtime.read() as s:
        assert s.get(situations.Situation, sid).stage == "disclosed"


def test_a_plan_at_the_meeting_shows_in_its_minutes(world):
    now = utcnow()
    sid, _m1 = _accepted_and_disclosed(world, now)
    m2 = open_meeting(world, now=now + timedelta(days=7))
    with world.runtime.command() as s:
        interventions.plan(s, world.user(s, "chair"), sid, lead_agency_id=world.agencies["cmha"],
                           meeting_id=m2)
    ref = next(iter(_outcomes(world, m2)))
    assert _outcomes(world, m2)[ref] == "planned"


def test_an_acceptance_stays_the_outcome_after_disclosure_and_plan_in_the_same_sitting(world):
    now = utcnow()
    sid, mid = in_intervention(world, now=now)  # accepted, disclosed and planned at one sitting
    outcomes = _outcomes(world, mid)
    assert list(outcomes.values()) == ["accepted"], outcomes


def test_a_disclosure_to_a_situation_accepted_earlier_shows_in_the_minutes(world):
    now = utcnow()
    sid = submitted(world, now=now)
    m1 = open_meeting(world, now=now)
    with world.runtime.command() as s:
        situations.accept(s, world.user(s, "chair"), sid, m1, now=now)
    close_meeting(world, m1, now=now)
    m2 = open_meeting(world, now=now + timedelta(days=7))
    with world.runtime.command() as s:
        interventions.disclose(s, world.user(s, "chair"), sid, [world.agencies["cmha"]],
                               basis="phipa_40_1", meeting_id=m2)
    assert list(_outcomes(world, m2).values()) == ["disclosed"]


def test_a_closed_meetings_minutes_do_not_change_afterwards(world):
    """Before: a report-back naming a closed meeting rewrote its minutes ('reported back')."""
    now = utcnow()
    sid, mid = in_intervention(world, now=now)
    close_meeting(world, mid, now=now)
    before = _outcomes(world, mid)
    with world.runtime.command() as s, pytest.raises(DomainError) as refused:
        interventions.report_back(s, world.user(s, "chair"), sid, progress_note="late",
                                  first_contact_made=True, still_aer=True, meeting_id=mid)
    assert refused.value.field == "meeting_id"
    assert _outcomes(world, mid) == before


def test_a_confirmation_is_told_at_the_next_sitting_held_not_one_never_opened(world):
    """Before: a meeting never opened (no minutes) swallowed the confirmations made before it."""
    now = utcnow()
    m1 = open_meeting(world, now=now)
    close_meeting(world, m1, now=now)
    with world.runtime.command() as s:
        skipped = meetings.next_meeting(s, world.table(s), now=now + timedelta(hours=1))
        skipped_at = skipped.scheduled_at
        chair = world.user(s, "chair")
        audit.record(s, "user.identity_confirmed", actor=chair,
                     detail={"table_id": world.table_id, "user_id": world.users["housing"]},
                     now=skipped_at - timedelta(hours=1))
    m3 = open_meeting(world, now=skipped_at + timedelta(days=1))
    assert m3 != skipped.id
    with world.runtime.read() as s:
        told = meetings.minutes(s, world.user(s, "chair"), m3).confirmations
    assert ("Housing Services", "Housing Services rep") in told
