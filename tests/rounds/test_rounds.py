"""Decision rounds reach the same accept and reject as a meeting, on both databases."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support.factories import build_world, submitted

from workflow import gatekeeper, round_views, rounds, sweep
from workflow.errors import DomainError, NotFound, PermissionDenied, ValidationError
from workflow.models import (
    AuditEntry,
    DecisionRound,
    Meeting,
    OutboxEvent,
    Situation,
    Transition,
    utcnow,
)

MEMBERS = ("police", "cas", "school", "hospital", "cmha", "housing")


@pytest.fixture
def world(runtime):
    return build_world(runtime)


def _open(world, sids, *, hours=24, now=None):
    now = now or utcnow()
    with world.runtime.command() as s:
        r = rounds.open_round(s, world.user(s, "chair"), sids,
                              closes_at=now + timedelta(hours=hours), now=now)
        return r.id


def _answer(world, rid, sid, slug, aer=True, **kw):
    with world.runtime.command() as s:
        rounds.answer(s, world.user(s, slug), rid, sid, aer=aer, **kw)


def _events(runtime) -> Counter:
    with runtime.read() as s:
        return Counter(dict(s.execute(select(OutboxEvent.event_type, func.count())
                                      .group_by(OutboxEvent.event_type)).all()))


def _actions(runtime, sid) -> list[str]:
    with runtime.read() as s:
        return list(s.scalars(select(AuditEntry.action).where(AuditEntry.situation_id == sid)
                              .order_by(AuditEntry.id)))


def test_a_round_every_member_answered_decides_at_once_through_accept(world):
    sid = submitted(world)
    rid = _open(world, [sid])
    assert _events(world.runtime)["round.opened"] == 1
    for slug in MEMBERS[:-1]:
        _answer(world, rid, sid, slug, contributes=["housing"], needed_at_filter_3=True)
    with world.runtime.read() as s:
        assert s.get(Situation, sid).stage == "on_agenda"  # one member still to answer
        assert s.get(DecisionRound, rid).status == "open"
    _answer(world, rid, sid, "housing")
    with world.runtime.read() as s:
        r = s.get(DecisionRound, rid)
        situation = s.get(Situation, sid)
        assert (r.status, r.decided_by) == ("decided", "answers")
        assert situation.stage == "accepted"
        # the decision is the table's accept, taken under the round's one-sitting record
        accept = s.scalar(select(Transition).where(Transition.situation_id == sid,
                                                   Transition.command == "accept"))
        assert accept.meeting_id == r.meeting_id == situation.decided_meeting_id
        assert round_views.taken_in_round(s, accept.meeting_id) == rid
        sitting = s.get(Meeting, r.meeting_id)
        assert sitting.status == "closed" and len(sitting.present_agency_ids()) == 6
        minutes = round_views.minutes(s, world.user(s, "chair"), rid)
    assert minutes.items[0].outcome == "accepted" and len(minutes.items[0].answers) == 6
    assert minutes.not_answered == []
    actions = _actions(world.runtime, sid)
    assert actions.count("round.open") == 1 and actions.count("round.answer") == 6
    assert "situation.present" in actions and "situation.accept" in actions
    assert _events(world.runtime)["round.decided"] == 1


def test_a_round_is_decided_at_its_closing_time_by_the_sweep_exactly_once(world):
    now = utcnow()
    sids = [submitted(world), submitted(world)]
    rid = _open(world, sids, hours=12, now=now)
    for slug in ("police", "school", "cmha"):  # three sectors: the Ontario quorum
        _answer(world, rid, sids[0], slug, aer=True, now=now)
        _answer(world, rid, sids[1], slug, aer=False, now=now)
    early = sweep.sweep(world.runtime, now=now + timedelta(hours=11))
    assert early.rounds_decided == 0
    first = sweep.sweep(world.runtime, now=now + timedelta(hours=12, minutes=1))
    second = sweep.sweep(world.runtime, now=now + timedelta(hours=13))
    assert (first.rounds_decided, second.rounds_decided) == (1, 0)
    with world.runtime.read() as s:
        r = s.get(DecisionRound, rid)
        assert (r.status, r.decided_by) == ("decided", "timer")
        assert s.get(Situation, sids[0]).stage == "accepted"
        rejected = s.get(Situation, sids[1])
        assert (rejected.stage, rejected.rejection_reason) == ("rejected", "not_aer")
        decisions = s.scalar(select(func.count()).select_from(Transition).where(
            Transition.situation_id.in_(sids), Transition.command.in_(("accept", "reject"))))
        assert decisions == 2
    assert _events(world.runtime)["round.decided"] == 2
    with world.runtime.command() as s, pytest.raises(DomainError, match="closed"):
        rounds.answer(s, world.user(s, "housing"), rid, sids[0], aer=True,
                      now=now + timedelta(hours=14))


def test_a_split_or_a_missing_quorum_goes_to_the_next_meeting(world):
    now = utcnow()
    split, thin = submitted(world), submitted(world)
    rid = _open(world, [split, thin], hours=1, now=now)
    for slug, aer in (("police", True), ("school", True), ("cmha", False)):
        _answer(world, rid, split, slug, aer=aer, now=now)
    _answer(world, rid, thin, "police", now=now)
    sweep.sweep(world.runtime, now=now + timedelta(hours=2))
    with world.runtime.read() as s:
        assert s.get(Situation, split).stage == "on_agenda"
        assert s.get(Situation, thin).stage == "on_agenda"
        r = s.get(DecisionRound, rid)
        assert r.meeting_id is None  # nothing decided: no sitting was held
        assert {(i.outcome, i.reason) for i in r.items} == {
            ("next_meeting", "no_agreement"), ("next_meeting", "no_quorum")}
    with world.runtime.command() as s:  # and a new round may take them up again
        rounds.open_round(s, world.user(s, "chair"), [split], now=now + timedelta(hours=3))


def test_access_and_refusals_are_those_of_a_meeting(world):
    sid = submitted(world)
    with world.runtime.command() as s:
        for key in ("school", "manager", "admin", "outsider"):
            with pytest.raises((PermissionDenied, NotFound)):
                rounds.open_round(s, world.user(s, key), [sid])
        assert gatekeeper.may(s, world.user(s, "chair"), "open_round", s.get(Situation, sid))
        assert not gatekeeper.may(s, world.user(s, "outsider"), "answer_round",
                                  s.get(Situation, sid))
    rid = _open(world, [sid])
    with world.runtime.command() as s:
        with pytest.raises(PermissionDenied, match="member agency"):
            rounds.answer(s, world.user(s, "outsider"), rid, sid, aer=True)
        with pytest.raises(PermissionDenied):
            rounds.answer(s, world.user(s, "manager"), rid, sid, aer=True)
        with pytest.raises(ValidationError, match="unknown service"):
            rounds.answer(s, world.user(s, "cmha"), rid, sid, aer=True, contributes=["spa"])
        with pytest.raises(PermissionDenied):
            round_views.minutes(s, world.user(s, "cmha"), rid)
        with pytest.raises(DomainError, match="already in an open round"):
            rounds.open_round(s, world.user(s, "chair"), [sid])
        with pytest.raises(ValidationError, match="future"):
            rounds.open_round(s, world.user(s, "chair"), [submitted(world)],
                              closes_at=utcnow() - timedelta(hours=1))


def test_the_pack_sets_the_length_and_the_agreement():
    v = rounds.verdict
    assert v([("police", True), ("health", True), ("education", True)], quorum=3,
             agreement=1).outcome == "accepted"
    assert v([("police", True), ("police", True)], quorum=2, agreement=1).reason == "no_quorum"
    assert v([("a", True), ("b", True), ("c", False)], quorum=3,
             agreement=0.6).outcome == "accepted"
    assert v([("a", False), ("b", False), ("c", True)], quorum=3,
             agreement=0.6).outcome == "rejected"
    assert v([], quorum=1, agreement=1).reason == "no_answers"


def test_an_urgent_round_is_shorter_by_the_pack(world):
    sid = submitted(world)
    with world.runtime.command() as s:
        table = world.table(s)
        assert rounds.default_hours(s, table, [sid]) == 24
        r = rounds.open_round(s, world.user(s, "chair"), [sid])
        assert round((r.closes_at - r.opened_at).total_seconds() / 3600) == 24
