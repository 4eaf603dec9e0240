"""sweep-timers, run through Prefect on both databases: each timer fires once per occurrence."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select
from support.factories import close_meeting, in_intervention, open_meeting

from workflow import rulebook, sweep
from workflow.models import Deadline, Flag, OutboxEvent, RuleFiring, Situation, utcnow


def _events(runtime) -> Counter:
    with runtime.read() as s:
        return Counter(dict(s.execute(select(OutboxEvent.event_type, func.count())
                                      .group_by(OutboxEvent.event_type)).all()))


def _firings(runtime) -> list[tuple[str, str]]:
    with runtime.read() as s:
        return sorted(s.execute(select(RuleFiring.rule_id, RuleFiring.occurrence)
                                .where(RuleFiring.trigger.like("timer:%"))).tuples().all())


def test_passed_deadlines_fire_once_and_never_again(world, flows):
    from orchestration.flows import sweep_timers

    runtime = world.runtime
    sid, _ = in_intervention(world, now=utcnow() - timedelta(days=10))
    before = _events(runtime)

    first = sweep_timers()
    assert first["overdue"] == 2  # first contact and report-back, both long past
    fired = _firings(runtime)
    assert [rule for rule, _ in fired] == ["first_contact.overdue", "report_back.overdue"]
    after_first = _events(runtime)
    assert after_first["deadline.overdue"] - before["deadline.overdue"] == 2
    assert after_first["situation.escalated"] - before["situation.escalated"] == 1
    with runtime.read() as s:
        overdue = s.scalars(select(Deadline).where(Deadline.situation_id == sid)).all()
        assert all(d.overdue_at is not None for d in overdue)
        lead = s.get(Situation, sid).lead_agency_id
        notices = [(e.payload["deadline_kind"], e.agency_ids, e.to_chairs)
                   for e in s.scalars(select(OutboxEvent).where(
                       OutboxEvent.event_type == "deadline.overdue").order_by(OutboxEvent.id))]
    # Each audience hears once per deadline: the chairs of the first contact through the pack's
    # escalation, the lead of the report-back through the pack's reminder, the rest plainly.
    assert notices == [("first_contact", [lead], False), ("report_back", [], True)]

    second = sweep_timers()
    assert second["overdue"] == 0 and second["fired"] == 0
    assert _firings(runtime) == fired
    assert _events(runtime) == after_first


def test_a_rearmed_deadline_fires_again_for_its_new_due_time(world, flows):
    from orchestration.flows import sweep_timers

    sid, _ = in_intervention(world, now=utcnow() - timedelta(days=10))
    sweep_timers()
    with world.runtime.command() as s:
        situation = s.get(Situation, sid)
        rulebook.set_deadline(s, situation, "report_back", utcnow() - timedelta(minutes=1),
                              "intervention.report_back")
    again = sweep_timers()
    assert again["overdue"] == 1
    rules = [rule for rule, _ in _firings(world.runtime)]
    assert rules.count("report_back.overdue") == 2


def test_due_soon_fires_once_inside_the_window(world, flows):
    from orchestration.flows import sweep_timers

    sid, _ = in_intervention(world)
    with world.runtime.command() as s:
        situation = s.get(Situation, sid)
        rulebook.set_deadline(s, situation, "first_contact", utcnow() + timedelta(hours=30),
                              "test")
    assert sweep_timers()["due_soon"] == 0  # 30 h away: outside the pack's 24 h window
    with world.runtime.command() as s:
        situation = s.get(Situation, sid)
        rulebook.set_deadline(s, situation, "first_contact", utcnow() + timedelta(hours=12),
                              "test")
    assert sweep_timers()["due_soon"] == 1
    assert sweep_timers()["due_soon"] == 0
    assert [r for r, _ in _firings(world.runtime)] == ["first_contact.due_soon"]


def test_open_too_many_meetings_is_flagged_once(world, flows):
    from orchestration.flows import sweep_timers

    start = utcnow() - timedelta(days=50)
    sid, mid = in_intervention(world, now=start)
    close_meeting(world, mid, now=start)
    for week in range(1, 6):
        at = start + timedelta(days=7 * week)
        # The last meeting closes just now: only then is the count of meetings looked at.
        close_meeting(world, open_meeting(world, now=at), now=at if week < 5 else utcnow())

    first = sweep_timers()
    assert first["open_meetings"] == 1
    sweep_timers()
    with world.runtime.read() as s:
        flags = s.scalars(select(Flag.code).where(Flag.situation_id == sid)).all()
    assert flags.count("open_more_than_4_meetings") == 1


def test_open_meetings_are_not_recounted_between_meetings(world, flows):
    """Long after the table last met, the sweep reads none of the open situations."""
    from orchestration.flows import sweep_timers

    start = utcnow() - timedelta(days=80)
    sid, mid = in_intervention(world, now=start)
    close_meeting(world, mid, now=start)
    for week in range(1, 6):
        at = start + timedelta(days=7 * week)
        close_meeting(world, open_meeting(world, now=at), now=at)
    assert sweep_timers()["open_meetings"] == 0
    with world.runtime.read() as s:
        assert "open_more_than_4_meetings" not in s.scalars(
            select(Flag.code).where(Flag.situation_id == sid)).all()


def test_two_sweepers_at_once_flag_each_deadline_once(world):
    """Two sweepers (two workers) on the same database split the work; nothing twice."""
    sid, _ = in_intervention(world)
    kinds = [f"check_{i}" for i in range(40)]
    with world.runtime.command() as s:
        situation = s.get(Situation, sid)
        for i, kind in enumerate(kinds):
            rulebook.set_deadline(s, situation, kind, utcnow() - timedelta(minutes=i + 1), "t")
    reports: list[sweep.SweepReport] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            barrier.wait()
            reports.append(sweep.sweep(world.runtime, batch_size=5))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sum(r.overdue for r in reports) == len(kinds)
    with world.runtime.read() as s:
        events = s.scalars(select(OutboxEvent.payload).where(
            OutboxEvent.event_type == "deadline.overdue")).all()
    assert sorted(e["deadline_kind"] for e in events) == sorted(kinds)


def test_the_due_count_is_what_the_sweep_claims(world):
    in_intervention(world, now=utcnow() - timedelta(days=10))
    with world.runtime.read() as s:
        due = sweep.count_due(s)
    assert due == 2
    assert sweep.sweep(world.runtime).overdue == due
    with world.runtime.read() as s:
        assert sweep.count_due(s) == 0


def test_a_deadline_rearmed_to_the_time_it_fired_for_is_claimed_but_fires_nothing_again(world):
    """The sweep's claim is its own, so its firings go in the one write unguarded; what fired
    for the same occurrence before is read first, so a re-arm to the same due time neither
    fires twice nor breaks the batch on the firings' unique key."""
    sid, _ = in_intervention(world)
    due = utcnow() - timedelta(minutes=5)
    with world.runtime.command() as s:
        rulebook.set_deadline(s, s.get_one(Situation, sid), "report_back", due, "t")
    assert sweep.sweep(world.runtime).fired == 1
    fired = _firings(world.runtime)
    with world.runtime.command() as s:  # re-armed: unmet, not overdue, the same due time
        rulebook.set_deadline(s, s.get_one(Situation, sid), "report_back", due, "t")
    again = sweep.sweep(world.runtime)
    assert (again.overdue, again.fired) == (1, 0)
    assert _firings(world.runtime) == fired
