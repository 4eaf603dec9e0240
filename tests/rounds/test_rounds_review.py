"""Review of rounds and follow-ups in the cases a table meets: an agency that leaves the table
mid-round, an answer racing the timer, a situation settled outside its round, and the
follow-up page offering only what its reader may do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support.factories import build_world, in_intervention, open_meeting, submitted
from web.conftest import signed_in

from workflow import directory_admin, interventions, rounds, situations, sweep
from workflow.errors import DomainError
from workflow.models import DecisionRound, Meeting, OutboxEvent, RoundAnswer, Situation, utcnow

MEMBERS = ("police", "cas", "school", "hospital", "cmha", "housing")


def _open(world, sids, *, hours=1, now):
    with world.runtime.command() as s:
        return rounds.open_round(s, world.user(s, "chair"), sids,
                                 closes_at=now + timedelta(hours=hours), now=now).id


def _answer(world, rid, sid, slug, aer=True, *, now):
    with world.runtime.command() as s:
        rounds.answer(s, world.user(s, slug), rid, sid, aer=aer, now=now)


def _decided_events(runtime) -> int:
    with runtime.read() as s:
        return s.scalar(select(func.count()).select_from(OutboxEvent).where(
            OutboxEvent.event_type == "round.decided")) or 0


def test_an_agency_that_left_the_table_after_answering_does_not_stop_the_sweep(world):
    """Before: its answer made the round's sitting record its attendance, which a non-member
    may not have, so every sweep failed on this round (and decided nothing else)."""
    now = utcnow()
    sid = submitted(world)
    rid = _open(world, [sid], now=now)
    for slug in ("police", "school", "cmha", "housing"):
        _answer(world, rid, sid, slug, now=now)
    with world.runtime.command() as s:
        directory_admin.set_memberships(s, world.user(s, "admin"), world.agencies["housing"], [])
    assert sweep.sweep(world.runtime, now=now + timedelta(hours=2)).rounds_decided == 1
    with world.runtime.read() as s:
        r = s.get(DecisionRound, rid)
        assert (r.status, r.items[0].outcome) == ("decided", "accepted")
        assert s.get(Situation, sid).stage == "accepted"
        present = s.get(Meeting, r.meeting_id).present_agency_ids()
        assert world.agencies["housing"] not in present and len(present) == 3


def test_an_answer_that_read_the_round_before_the_timer_decided_it_is_refused(pg_runtime):
    """The web answer read the round (open) just before the sweep decided it. Before: the
    answer was recorded into the decided round, told "recorded", and never counted."""
    world = build_world(pg_runtime)
    now = utcnow()
    sid = submitted(world)
    rid = _open(world, [sid], now=now)
    for slug in ("police", "school"):  # two sectors: one short of the quorum
        _answer(world, rid, sid, slug, now=now)
    web = pg_runtime.sessions()
    try:
        seen = web.get(DecisionRound, rid)  # held, as the answer holds it until it writes
        assert seen.status == "open"
        assert sweep.sweep(pg_runtime, now=now + timedelta(hours=1)).rounds_decided == 1
        with pytest.raises(DomainError, match="closed"):
            rounds.answer(web, world.user(web, "cmha"), rid, sid, aer=True,
                          now=now + timedelta(minutes=59))
    finally:
        web.rollback()
        web.close()
    with pg_runtime.read() as s:
        assert s.scalar(select(func.count()).select_from(RoundAnswer)) == 2
        assert s.get(DecisionRound, rid).items[0].reason == "no_quorum"


def test_a_situation_withdrawn_during_its_round_neither_holds_it_open_nor_goes_onward(
        app, world):
    """Before: nobody could answer the withdrawn one, so the round waited for its timer, then
    recorded it and told its agency "to the next meeting"."""
    now = utcnow()
    gone, kept = submitted(world), submitted(world)
    rid = _open(world, [gone, kept], hours=24, now=now)
    with world.runtime.command() as s:
        situations.withdraw(s, world.user(s, "school"), gone, "duplicate", world.runtime.vault)
    for slug in MEMBERS:
        _answer(world, rid, kept, slug, now=now)
    with world.runtime.read() as s:
        r = s.get(DecisionRound, rid)
        assert (r.status, r.decided_by) == ("decided", "answers")
        outcomes = {i.situation_id: (i.outcome, i.reason) for i in r.items}
        assert outcomes == {gone: (None, "withdrawn"), kept: ("accepted", None)}
        assert s.get(Situation, gone).stage == "withdrawn"
        ref = s.get(Situation, gone).ref
    assert _decided_events(world.runtime) == 1  # only the one the round decided
    page = signed_in(app, "chair").get(f"/rounds/{rid}").get_data(as_text=True)
    assert f"{ref}: withdrawn" in page and f"{ref}: to the next meeting" not in page


def test_a_situation_a_meeting_decided_while_its_round_was_open(world):
    now = utcnow()
    sid = submitted(world)
    rid = _open(world, [sid], now=now)
    mid = open_meeting(world, now=now)
    with world.runtime.command() as s:
        situations.accept(s, world.user(s, "chair"), sid, mid, now=now)
    assert sweep.sweep(world.runtime, now=now + timedelta(hours=2)).rounds_decided == 1
    with world.runtime.read() as s:
        r = s.get(DecisionRound, rid)
        assert (r.items[0].outcome, r.items[0].reason) == (None, "accepted")
        assert r.meeting_id is None and s.get(Situation, sid).stage == "accepted"
    assert _decided_events(world.runtime) == 0


def test_the_follow_up_page_offers_only_what_its_reader_may_do(app, world):
    """Before: a manager of the lead agency was offered the form (reports only), and a lead
    that did not present the situation was offered re-presenting it (the originator's)."""
    closed_at = utcnow() - timedelta(days=100)
    sid, _ = in_intervention(world, now=closed_at)
    with world.runtime.command() as s:
        for task in s.get(Situation, sid).tasks:
            interventions.update_task(s, world.user(s, "housing"), task.id, status="done",
                                      now=closed_at)
        interventions.close(s, world.user(s, "chair"), sid,
                            conclusion_reason="lowered_connected", now=closed_at)
    sweep.sweep(world.runtime)
    lead = signed_in(app, "cmha").get("/follow-ups").get_data(as_text=True)
    assert f"/follow-ups/{sid}" in lead and 'name="re_present"' not in lead
    manager = signed_in(app, "manager").get("/follow-ups").get_data(as_text=True)
    assert f"/follow-ups/{sid}" not in manager
    with world.runtime.command() as s:  # the lead also presented it: it may re-present
        s.get(Situation, sid).originating_agency_id = world.agencies["cmha"]
    lead = signed_in(app, "cmha").get("/follow-ups").get_data(as_text=True)
    assert f'id="rp-{sid}"' in lead
