"""A flow handles each table on its own: one table with a broken setting stops no other."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.orchestration.conftest import (  # noqa: F401 (fixtures; smtp_server is tests/conftest.py's)
    flows,
    prefect_server,
    settings,
)
from workflow.models import Meeting, Table, utcnow


def test_a_table_with_a_bad_time_zone_does_not_stop_the_next_tables_agenda(world, flows):  # noqa: F811
    from orchestration.flows import prepare_agenda

    with world.runtime.command() as s:
        for table in s.scalars(select(Table)):
            local_today = utcnow().astimezone(ZoneInfo(table.timezone)).date()
            table.meeting_weekday = (local_today + timedelta(days=1)).weekday()
            table.meeting_time = "10:00"
        # stored before the time zone was validated: the first table in the loop is broken
        s.get(Table, world.table_id).timezone = "Mars/Olympus"
    with pytest.raises(RuntimeError, match="agenda failed for table"):
        prepare_agenda()
    with world.runtime.read() as s:
        other = s.scalar(select(Table).where(Table.code == "OTHER"))
        prepared = s.scalars(select(Meeting).where(Meeting.table_id == other.id,
                                                   Meeting.agenda_prepared_at.is_not(None)))
        assert len(prepared.all()) == 1
