"""Follow-up after a closure with risk lowered: asked on the pack's clock, once per occurrence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support.factories import build_world, in_intervention

from workflow import follow_up, interventions, sweep
from workflow.errors import PermissionDenied, ValidationError
from workflow.models import AuditEntry, FollowUp, OutboxEvent, Situation, utcnow


@pytest.fixture
def world(runtime):
    return build_world(runtime)


def _closed(world, *, at, reason="lowered_connected"):
    sid, mid = in_intervention(world, now=at)
    with world.runtime.command() as s:
        for task in s.get(Situation, sid).tasks:
            interventions.update_task(s, world.user(s, "housing"), task.id, status="done",
                                      now=at)
        interventions.close(s, world.user(s, "chair"), sid, conclusion_reason=reason, now=at)
    return sid


def _asked(runtime) -> int:
    with runtime.read() as s:
        return s.scalar(select(func.count()).select_from(OutboxEvent).where(
            OutboxEvent.event_type == "follow_up.due")) or 0


def test_the_lead_is_asked_after_90_days_then_reminded_once_per_occurrence(world):
    closed_at = utcnow() - timedelta(days=200)
    sid = _closed(world, at=closed_at)
    _closed(world, at=closed_at, reason="still_aer_refused")  # never asked
    due = closed_at + timedelta(days=90)
    assert sweep.sweep(world.runtime, now=due - timedelta(hours=1)).follow_ups == 0
    assert sweep.sweep(world.runtime, now=due + timedelta(hours=1)).follow_ups == 1
    assert sweep.sweep(world.runtime, now=due + timedelta(hours=2)).follow_ups == 0
    assert sweep.sweep(world.runtime, now=due + timedelta(days=7, hours=1)).follow_ups == 1
    assert sweep.sweep(world.runtime, now=due + timedelta(days=7, hours=2)).follow_ups == 0
    assert sweep.sweep(world.runtime, now=due + timedelta(days=14, hours=1)).follow_ups == 1
    assert sweep.sweep(world.runtime, now=due + timedelta(days=60)).follow_ups == 0  # at most 3
    assert _asked(world.runtime) == 3
    with world.runtime.read() as s:
        row = s.scalar(select(FollowUp))
        assert (row.situation_id, row.reminders_sent, row.answer) == (sid, 3, None)
        event = s.scalar(select(OutboxEvent).where(OutboxEvent.event_type == "follow_up.due"))
        assert event.agency_ids == [world.agencies["cmha"]]  # the lead agency
        assert set(event.payload) == {"situation_id", "ref", "table_id", "stage"}


def test_an_answer_stops_the_reminders_and_a_no_can_re_present(world):
    closed_at = utcnow() - timedelta(days=100)
    sid = _closed(world, at=closed_at)
    sweep.sweep(world.runtime, now=utcnow())
    with world.runtime.command() as s:
        with pytest.raises(PermissionDenied):
            follow_up.record(s, world.user(s, "school"), sid, "yes")  # not intervening
        with pytest.raises(ValidationError):
            follow_up.record(s, world.user(s, "cmha"), sid, "maybe")
        row, again = follow_up.record(s, world.user(s, "cmha"), sid, "yes")
        assert row.answer == "yes" and again is None
    assert sweep.sweep(world.runtime, now=utcnow() + timedelta(days=30)).follow_ups == 0
    # the lead is not the originating agency: re-presenting is the originator's command
    with world.runtime.command() as s, pytest.raises(PermissionDenied):
        follow_up.record(s, world.user(s, "cmha"), sid, "no", re_present=True)
    with world.runtime.read() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(
            AuditEntry.situation_id == sid, AuditEntry.action == "situation.follow_up")))
        assert actions == ["situation.follow_up"]


def test_a_no_from_an_agency_that_also_originated_re_presents_it(world):
    closed_at = utcnow() - timedelta(days=100)
    sid = _closed(world, at=closed_at)
    with world.runtime.command() as s:
        s.get(Situation, sid).originating_agency_id = world.agencies["cmha"]
    with world.runtime.command() as s:
        row, again = follow_up.record(s, world.user(s, "cmha"), sid, "no", re_present=True)
        assert row.answer == "no"
        assert again.stage == "draft" and again.previous_situation_id == sid


def test_each_closure_is_settled_once_so_a_sweep_never_rereads_the_history(world):
    """Asked or not, a closure whose time came is settled by the sweep that looked at it; one
    whose time has not come stays unsettled until it does (what keeps a sweep's cost on what is
    new, not on every closure ever)."""
    closed_at = utcnow() - timedelta(days=200)
    lowered = _closed(world, at=closed_at)
    refused = _closed(world, at=closed_at, reason="still_aer_refused")
    recent = _closed(world, at=utcnow() - timedelta(days=10))

    def settled() -> dict[int, bool]:
        with world.runtime.read() as s:
            return dict(s.execute(select(Situation.id, Situation.follow_up_settled)
                                  .where(Situation.stage == "closed")).all())

    assert settled() == {lowered: False, refused: False, recent: False}
    sweep.sweep(world.runtime)
    assert settled() == {lowered: True, refused: True, recent: False}
    with world.runtime.read() as s:
        assert list(s.scalars(select(FollowUp.situation_id))) == [lowered]
    sweep.sweep(world.runtime, now=utcnow() + timedelta(days=81))
    assert settled()[recent] is True
    with world.runtime.read() as s:
        assert sorted(s.scalars(select(FollowUp.situation_id))) == sorted([lowered, recent])
