"""prepare-agenda through Prefect: the agenda is ready, and members told, before the meeting."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from support.factories import submitted

from workflow.models import Meeting, OutboxEvent, Table, utcnow


def _meet_in(world, days: int) -> None:
    """Move every table's weekly meeting to `days` from today (local), 10:00."""
    with world.runtime.command() as s:
        for table in s.scalars(select(Table)):
            local_today = utcnow().astimezone(ZoneInfo(table.timezone)).date()
            table.meeting_weekday = (local_today + timedelta(days=days)).weekday()
            table.meeting_time = "10:00"


def test_agenda_appears_before_the_meeting_and_members_hear_once(world, flows, smtp_server):
    from orchestration.flows import prepare_agenda

    _meet_in(world, 1)
    sid = submitted(world)
    prepared = prepare_agenda()
    assert len(prepared) == 2  # both tables meet tomorrow
    with world.runtime.read() as s:
        meeting = s.scalars(select(Meeting).where(Meeting.id.in_(prepared),
                                                  Meeting.table_id == world.table_id)).one()
        assert meeting.table_id == world.table_id and meeting.status == "planned"
        assert meeting.scheduled_at > utcnow()
        assert meeting.agenda_prepared_at is not None
        assert [(i.situation_id, i.kind) for i in meeting.agenda] == [(sid, "new")]
        ready = s.scalars(select(OutboxEvent.id).where(
            OutboxEvent.event_type == "meeting.agenda_ready",
            OutboxEvent.table_id == world.table_id)).all()
        notice = s.get(OutboxEvent, ready[0])
    assert len(ready) == 1
    assert set(notice.agency_ids) == {a for slug, a in world.agencies.items()
                                        if slug != "outsider"}
    assert smtp_server.messages  # the flow dispatched the notices right away

    later = submitted(world, by="police")
    assert prepare_agenda() == prepared  # a rerun adds what came since, notifies no one again
    with world.runtime.read() as s:
        meeting = s.get(Meeting, meeting.id)
        assert {i.situation_id for i in meeting.agenda} == {sid, later}
        assert s.scalars(select(OutboxEvent.id).where(
            OutboxEvent.event_type == "meeting.agenda_ready",
            OutboxEvent.table_id == world.table_id)).all() == ready


def test_a_meeting_beyond_the_horizon_is_not_prepared_yet(world, flows):
    from orchestration.flows import prepare_agenda

    _meet_in(world, 4)
    submitted(world)
    assert prepare_agenda() == []
    with world.runtime.read() as s:
        assert s.scalars(select(Meeting).where(
            Meeting.agenda_prepared_at.is_not(None))).all() == []
