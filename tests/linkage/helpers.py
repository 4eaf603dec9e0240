"""Building situations at two tables of one region, with what an agency typed at filter 1."""

from __future__ import annotations

from datetime import datetime

from support.factories import World, filter1, open_meeting

from workflow import directory, interventions, meetings, situations
from workflow.linkage.commands import check_at_filter1
from workflow.models import Situation, Table


def checked(world: World, name: str, born: str, *, by: str = "school",
            table_id: int | None = None, now: datetime | None = None, **facts) -> int:
    """A submitted situation whose originating agency typed `name` and `born` in the box."""
    with world.runtime.command() as s:
        actor = world.user(s, by)
        sit = situations.draft(s, actor, table_id or world.table_id, filter1(**facts), now=now)
        check_at_filter1(s, world.runtime.vault.linkage_key(), actor, sit, name, born, now=now)
        situations.submit(s, actor, sit.id, now=now)
        return sit.id


def other_table(world: World) -> tuple[int, int]:
    """(table id, chair id) of the region's second table ("OTHER", where "outsider" sits)."""
    with world.runtime.command() as s:
        table = s.query(Table).filter_by(code="OTHER").one()
        if "other_chair" not in world.users:
            chair = directory.create_user(
                s, email="other-chair@demo.hubtable.test", display_name="Other chair",
                password="", role="chair", agency_id=world.agencies["outsider"],
                table_ids=[table.id], password_hash=world.user(s, "chair").password_hash)
            world.users["other_chair"] = chair.id
        return table.id, world.users["other_chair"]


def presented_elsewhere(world: World, name: str, born: str, *,
                        now: datetime | None = None) -> int:
    """A situation presented at the other table after its agency typed the identity."""
    table_id, _ = other_table(world)
    sid = checked(world, name, born, by="outsider", table_id=table_id, now=now)
    with world.runtime.command() as s:
        chair = world.user(s, "other_chair")
        meeting = meetings.next_meeting(s, s.get(Table, table_id), now=now)
        meetings.open_meeting(s, chair, meeting.id, now=now)
        meetings.record_attendance(s, chair, meeting.id, world.agencies["outsider"],
                                   present=True, confidentiality_ack=True)
        situations.present(s, chair, sid, meeting.id, now=now)
    return sid


def present_here(world: World, sid: int, *, now: datetime | None = None) -> int:
    mid = open_meeting(world, now=now)
    with world.runtime.command() as s:
        situations.present(s, world.user(s, "chair"), sid, mid, now=now)
    return mid


def close(world: World, sid: int, *, now: datetime | None = None) -> None:
    """Close as risk lowered (the factory's one task is marked done first)."""
    with world.runtime.command() as s:
        for task in s.get(Situation, sid).tasks:
            interventions.update_task(s, world.user(s, "housing"), task.id, status="done",
                                      now=now)
    with world.runtime.command() as s:
        interventions.close(s, world.user(s, "chair"), sid,
                            conclusion_reason="lowered_connected", now=now)
