"""The decision-round timer and the follow-up reminders run in the Prefect sweep flow: each
round is decided once at its closing time, even with two sweepers at the same moment."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select
from support.factories import submitted

from workflow import rounds, sweep
from workflow.models import DecisionRound, Meeting, Situation, Transition, utcnow


def _round_closed_a_minute_ago(world) -> tuple[int, int]:
    sid = submitted(world)
    opened = utcnow() - timedelta(hours=2)
    with world.runtime.command() as s:
        rid = rounds.open_round(s, world.user(s, "chair"), [sid], now=opened,
                                closes_at=utcnow() - timedelta(minutes=1)).id
        for slug in ("police", "school", "cmha"):
            rounds.answer(s, world.user(s, slug), rid, sid, aer=True, now=opened)
    return rid, sid


def test_the_prefect_sweep_flow_decides_a_due_round_once(world, flows):
    from orchestration.flows import sweep_timers

    rid, sid = _round_closed_a_minute_ago(world)
    first, second = sweep_timers(), sweep_timers()
    assert (first["rounds_decided"], second["rounds_decided"]) == (1, 0)
    with world.runtime.read() as s:
        r = s.get(DecisionRound, rid)
        assert (r.status, r.decided_by) == ("decided", "timer")
        assert s.get(Situation, sid).stage == "accepted"


def test_two_sweepers_at_once_decide_a_round_once(world):
    rid, sid = _round_closed_a_minute_ago(world)
    reports: list[sweep.SweepReport] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            barrier.wait()
            reports.append(sweep.sweep(world.runtime))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sum(r.rounds_decided for r in reports) == 1
    with world.runtime.read() as s:
        accepts = s.scalar(select(func.count()).select_from(Transition).where(
            Transition.situation_id == sid, Transition.command == "accept"))
        sittings = s.scalar(select(func.count()).select_from(Meeting).where(
            Meeting.place == "decision round"))
    assert (accepts, sittings) == (1, 1)
