"""The clocks through the real commands and the real database (SQLite and PostgreSQL):
the rule pack's deadlines are counted on the table's local calendar, stored as UTC, and the
sweep calls them overdue on the same clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from support.factories import build_world, in_intervention, open_meeting, submitted

from workflow import interventions, situations
from workflow.models import Deadline, OutboxEvent, Situation
from workflow.sweep import sweep

TORONTO = ZoneInfo("America/Toronto")
SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")


def _accept(world, at: datetime) -> int:
    now = at.astimezone(UTC)
    sid = submitted(world, now=now - timedelta(hours=1))
    mid = open_meeting(world, now=now - timedelta(minutes=30))
    with world.runtime.command() as s:
        situations.accept(s, world.user(s, "chair"), sid, mid, now=now)
    return sid


def _deadline(world, sid: int, kind: str) -> Deadline:
    with world.runtime.read() as s:
        row = s.scalar(select(Deadline).where(Deadline.situation_id == sid,
                                              Deadline.kind == kind))
        assert row is not None
        s.expunge(row)
        return row


def test_friday_evening_acceptance_in_toronto(world):
    # 21:00 EST on Friday 20 Nov 2026 (Saturday 02:00 UTC): 2 business days is Tuesday 21:00
    # local; counted in UTC it was Monday 21:00, and the sweep escalated a day early.
    sid = _accept(world, datetime(2026, 11, 20, 21, tzinfo=TORONTO))
    due = _deadline(world, sid, "first_contact").due_at
    assert due.tzinfo is not None and due.utcoffset() == timedelta(0)  # aware UTC on both
    assert due.astimezone(TORONTO) == datetime(2026, 11, 24, 21, tzinfo=TORONTO)
    with world.runtime.read() as s:
        assert s.get(Situation, sid).first_contact_due == due
    monday_evening = datetime(2026, 11, 23, 21, 30, tzinfo=TORONTO).astimezone(UTC)
    assert sweep(world.runtime, now=monday_evening).overdue == 0
    assert sweep(world.runtime, now=due + timedelta(minutes=1)).overdue == 1
    assert _deadline(world, sid, "first_contact").overdue_at is not None
    with world.runtime.read() as s:  # the e-mail shows this in the table's zone: never naive
        payload = s.scalar(select(OutboxEvent.payload).where(  # the pack escalates it
            OutboxEvent.event_type == "situation.escalated"))
    assert datetime.fromisoformat(payload["due_at"]) == due


def test_acceptance_before_spring_forward_keeps_the_local_hour(world):
    # Friday 12 Mar 2027 10:00 EST; DST begins Sunday 14: due Tuesday 16 at 10:00 EDT
    sid = _accept(world, datetime(2027, 3, 12, 10, tzinfo=TORONTO))
    due = _deadline(world, sid, "first_contact").due_at
    assert due.astimezone(TORONTO) == datetime(2027, 3, 16, 10, tzinfo=TORONTO)


def test_viet_nam_support_plan_during_tet(runtime):
    # 06:00 on Thu 4 Feb 2027 in Viet Nam (Wed 3 Feb 23:00 UTC), Tết Thu 4 - Wed 10:
    # 5 working days is Wed 17 Feb 06:00 local (counted in UTC it was a day later).
    world = build_world(runtime, country="VN", pack="vn-gbv-child-protection")
    sid = _accept(world, datetime(2027, 2, 4, 6, tzinfo=SAIGON))
    due = _deadline(world, sid, "support_plan").due_at
    assert due.astimezone(SAIGON) == datetime(2027, 2, 17, 6, tzinfo=SAIGON)


def test_pack_of_another_country_does_not_take_the_tables_subdivision(runtime):
    # An Ontario (CA/ON) table running the Viet Nam pack: the pack's country is VN, and VN
    # has no subdivision "ON"; the acceptance failed with "no holiday calendar".
    world = build_world(runtime, country="CA", pack="vn-gbv-child-protection")
    sid = _accept(world, datetime(2027, 2, 3, 10, tzinfo=TORONTO))
    due = _deadline(world, sid, "support_plan").due_at
    # VN calendar (Tết skipped) in the table's zone: Thu 11, Fri 12, Mon 15, Tue 16, Wed 17
    assert due.astimezone(TORONTO) == datetime(2027, 2, 10, 10, tzinfo=TORONTO) + timedelta(
        days=7)


def test_each_report_back_starts_the_next_report_back_clock(world):
    # The report-back command met the deadline, then the pack's rule could not move a met row:
    # after the first report-back no report-back was ever due (or overdue) again.
    start = datetime(2026, 11, 2, 10, tzinfo=TORONTO)  # a Monday
    sid, _ = in_intervention(world, now=start.astimezone(UTC))
    for week in (1, 2):
        at = (start + timedelta(days=7 * week)).astimezone(UTC)
        with world.runtime.command() as s:
            interventions.report_back(s, world.user(s, "cmha"), sid, progress_note="Seen",
                                      first_contact_made=True, still_aer=True, now=at)
        row = _deadline(world, sid, "report_back")
        assert row.met_at is None and row.overdue_at is None
        # 5 business days after a Monday 10:00 is the next Monday 10:00 (no holiday here)
        assert row.due_at.astimezone(TORONTO) == start + timedelta(days=7 * (week + 1))
    assert sweep(world.runtime, now=row.due_at + timedelta(minutes=1)).overdue == 1
