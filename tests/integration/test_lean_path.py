"""The lean command path (workflow.situation_context): one read, the rules, the one write.

A command reads its situation, table, agencies, meeting and audit head in one statement and
writes its changes in the transaction's one write, the situation's update last with its
version check. These tests hold what that must not lose: a later command of the same
transaction reads what an earlier one wrote; a situation changed by someone else between the
read and the commit is refused, never overwritten; on PostgreSQL the read locks the row, so a
concurrent writer waits and then finds the version moved; the prepared read survives its
connection; and the ORM's view of the situation is what the database holds.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text
from support.factories import build_world, filter1, open_meeting

from workflow import audit, interventions, situations
from workflow.errors import ConcurrentEdit
from workflow.models import AgendaItem, Situation, Task, Transition


@pytest.fixture
def pg_world(pg_runtime):
    """PostgreSQL only: its row locks and prepared statements."""
    return build_world(pg_runtime)


def test_commands_of_one_transaction_each_read_what_the_one_before_wrote(world):
    mid = open_meeting(world)
    with world.runtime.command() as s:
        school, chair = world.user(s, "school"), world.user(s, "chair")
        sid = situations.draft(s, school, world.table_id, filter1()).id
        situations.submit(s, school, sid)
        situations.accept(s, chair, sid, mid)
        interventions.disclose(s, chair, sid, [world.agencies["cmha"]], basis="phipa_40_1")
        interventions.plan(s, chair, sid, lead_agency_id=world.agencies["cmha"])
        found = s.get_one(Situation, sid)
        assert (found.stage, found.version) == ("intervention", 5)
    with world.runtime.read() as s:
        moves = list(s.scalars(select(Transition.command).where(Transition.situation_id == sid)
                               .order_by(Transition.id)))
        assert moves == ["submit", "schedule", "present", "accept", "disclose", "plan"]
        outcome = s.scalar(select(AgendaItem.outcome).where(AgendaItem.situation_id == sid,
                                                            AgendaItem.meeting_id == mid))
        assert outcome == "accepted"
        assert audit.verify(s)[1] == []


def test_the_situation_a_command_returns_is_the_one_the_database_holds(world):
    with world.runtime.command() as s:
        school = world.user(s, "school")
        held = situations.draft(s, school, world.table_id, filter1())
        assert held.stage == "draft" and held.ref and held.ref.endswith(f"{held.id:06d}")
        again = situations.submit(s, school, held.id)
        assert again is held  # the session's own object, read again after the write
        assert (held.stage, held.version) == ("on_agenda", 2)


def _draft(world) -> int:
    with world.runtime.command() as s:
        return situations.draft(s, world.user(s, "school"), world.table_id, filter1()).id


def test_a_situation_changed_between_read_and_write_is_refused_not_overwritten(world):
    """Another writer's change lands after the command read the situation and before its one
    write (sent here past the one write's barrier, as a concurrent commit would be): the
    version check in the write refuses the whole command."""
    sid = _draft(world)
    with pytest.raises(ConcurrentEdit), world.runtime.command() as s:
        situations.submit(s, world.user(s, "school"), sid)
        cursor = s.connection().connection.dbapi_connection.cursor()
        cursor.execute(f"UPDATE situations SET version = version + 1, summary = 'meanwhile' "
                       f"WHERE id = {int(sid)}")
        cursor.close()
    with world.runtime.read() as s:
        found = s.get_one(Situation, sid)
        assert (found.stage, found.version) == ("draft", 1)  # the whole command went back
        assert s.scalar(select(Transition.id).where(Transition.situation_id == sid)) is None


def test_postgresql_the_read_locks_the_row_so_a_concurrent_writer_finds_it_moved(pg_world):
    world = pg_world
    sid = _draft(world)
    outcome: list[str] = []

    def other_writer() -> None:
        try:
            with world.runtime.command() as other:
                situations.update_draft(other, world.user(other, "school"), sid,
                                        filter1(summary="too late"), expected_version=1)
            outcome.append("written")
        except ConcurrentEdit:
            outcome.append("refused")

    with world.runtime.command() as s:
        situations.submit(s, world.user(s, "school"), sid)
        thread = threading.Thread(target=other_writer)
        thread.start()
        time.sleep(0.5)
        assert outcome == []  # it waits for the row the command's read locked
    thread.join(timeout=10)
    assert outcome == ["refused"]
    with world.runtime.read() as s:
        assert s.get_one(Situation, sid).stage == "on_agenda"


def test_postgresql_the_prepared_read_is_prepared_again_on_a_new_connection(pg_world):
    world = pg_world
    sid = _draft(world)
    world.runtime.engine.dispose()  # every pooled connection (and its prepared read) is gone
    with world.runtime.command() as s:
        situations.submit(s, world.user(s, "school"), sid)
    with world.runtime.read() as s:
        assert s.get_one(Situation, sid).stage == "on_agenda"


_DROPS = {
    "all": "DEALLOCATE ALL",  # as DISCARD ALL or a pooler's reset would
    # one statement only: the others stay on the server while the marks forget them
    "one": "SELECT 'DEALLOCATE ' || name FROM pg_prepared_statements "
           "WHERE statement LIKE '%UPDATE situations SET%'",
}


@pytest.mark.parametrize("drop", sorted(_DROPS))
def test_postgresql_statements_dropped_from_outside_fail_one_command_not_every_one(pg_world,
                                                                                  drop):
    """Prepared statements dropped on the connection from outside: the command that finds
    its statement gone fails, and the next one on the same connection prepares again from
    nothing and passes (with a partial drop too, where a name the marks forgot is still
    held by the server)."""
    world = pg_world
    first, second = _draft(world), _draft(world)
    world.runtime.engine.dispose()  # from here on, one pooled connection
    with world.runtime.command() as s:  # it prepares the read and the write
        situations.submit(s, world.user(s, "school"), first)
        pid = s.scalar(text("SELECT pg_backend_pid()"))
    with world.runtime.read() as s:
        assert s.scalar(text("SELECT pg_backend_pid()")) == pid
        statement = _DROPS[drop]
        if drop == "one":
            statement = s.scalar(text(statement))
            assert statement is not None  # the write's update of the situation was prepared
        s.execute(text(statement))
    with pytest.raises(Exception, match="does not exist"), world.runtime.command() as s:
        situations.submit(s, world.user(s, "school"), second)
    with world.runtime.command() as s:
        situations.submit(s, world.user(s, "school"), second)
        assert s.scalar(text("SELECT pg_backend_pid()")) == pid
    with world.runtime.read() as s:
        assert s.get_one(Situation, second).stage == "on_agenda"


def test_an_orm_row_referring_to_a_new_draft_of_the_same_transaction_lands_after_it(world):
    """On PostgreSQL a draft's situation waits in the one write (its id came with the read);
    the caller holds that id at once, so an ORM row referring to it, flushed at commit before
    the one write would be, must find the situation already written."""
    from workflow.models import SituationService

    with world.runtime.command() as s:
        sid = situations.draft(s, world.user(s, "school"), world.table_id, filter1()).id
        s.add(SituationService(situation_id=sid, service_code="housing"))
    with world.runtime.read() as s:
        assert s.scalar(select(SituationService.service_code)
                        .where(SituationService.situation_id == sid)) == "housing"


def test_postgresql_connections_plan_the_prepared_read_once_and_keep_the_operators_options(
        pg_database):
    """Every connection of the application's engine uses generic plans for its prepared
    statements, set as it connects, without replacing options the operator's URL gives."""
    from sqlalchemy import text

    from workflow.db import make_engine

    engine = make_engine(f"{pg_database}?options=-cstatement_timeout%3D12345")
    try:
        for _ in range(2):  # a second checkout: the setting outlived the pool's rollback
            with engine.connect() as connection:
                assert connection.execute(text("SHOW plan_cache_mode")).scalar() == (
                    "force_generic_plan")
                assert connection.execute(text("SHOW statement_timeout")).scalar() == "12345ms"
                connection.rollback()
    finally:
        engine.dispose()


def test_identity_given_at_disclosure_reaches_no_row_log_or_error_of_the_lean_path(world,
                                                                                    caplog):
    """The lean path reads and writes only the de-identified record: a name, birth date,
    address and phone disclosed with it (the vault keeps them sealed) appear in no row of the
    application database (outbox, audit, firings, the context's tables) nor in a statement the
    server keeps prepared, no log line at any level, and no error a refused command raises to
    a user of an agency not granted."""
    import logging

    from sqlalchemy import text
    from support.factories import in_intervention

    from workflow.errors import DomainError
    from workflow.models import Base

    marks = ("Zyxcanary Quillon", "1999-04-01", "12 Example Street", "555 0100")
    caplog.set_level(logging.DEBUG)
    sid, mid = in_intervention(world, identity_name=marks[0])
    refused: list[str] = []
    with world.runtime.command() as s:  # police was never granted: every command refuses it
        police = world.user(s, "police")
        for attempt in (
            lambda: interventions.report_back(s, police, sid, progress_note="x",
                                              first_contact_made=True, still_aer=True),
            lambda: interventions.close(s, police, sid, conclusion_reason="lowered_connected"),
            lambda: interventions.disclose(s, police, sid, [world.agencies["police"]],
                                           basis="phipa_40_1"),
        ):
            with pytest.raises(DomainError) as error:
                attempt()
            refused.append(str(error.value))
    with world.runtime.command() as s:
        interventions.report_back(s, world.user(s, "cmha"), sid, progress_note="met",
                                  first_contact_made=True, still_aer=False, meeting_id=mid)
        for task_id in s.scalars(select(Task.id).where(Task.situation_id == sid)):
            interventions.update_task(s, world.user(s, "chair"), task_id, status="done")
        interventions.close(s, world.user(s, "chair"), sid,
                            conclusion_reason="lowered_connected", meeting_id=mid)
    with world.runtime.read() as s:
        rows = [str(row) for table in Base.metadata.sorted_tables
                for row in s.execute(text(f'SELECT * FROM "{table.name}"')).all()]
        if s.get_bind().dialect.name == "postgresql":  # what the server keeps per connection
            rows += list(s.scalars(text("SELECT statement FROM pg_prepared_statements")))
    assert len(rows) > 50  # the whole record is there, de-identified
    for mark in marks:
        assert not [r for r in rows if mark in r]
        assert mark not in caplog.text
        assert not [m for m in refused if mark in m]


def test_the_read_carries_a_meeting_exactly_when_its_command_asks_and_the_rest_the_same(world):
    """The read is built per what a command asks of meetings (the decision's meeting, the next
    one): every variant reads the same situation; only what was asked for is filled in."""
    from dataclasses import fields

    from workflow import meetings, situation_context
    from workflow.models import utcnow

    mid = open_meeting(world)
    with world.runtime.command() as s:
        school = world.user(s, "school")
        sid = situations.submit(s, school, situations.draft(s, school, world.table_id,
                                                            filter1()).id).id
    since = meetings.upcoming_since(utcnow())
    found = {}
    with world.runtime.read() as s:
        chair = world.user(s, "chair")
        for meeting_id in (None, mid):
            for upcoming in (None, since):
                found[meeting_id, upcoming] = situation_context.read(
                    s, chair, sid, meeting_id=meeting_id, upcoming_since=upcoming)
    assert found[None, None].meeting is None and found[None, None].next_meeting is None
    assert found[mid, None].meeting is not None and found[mid, None].meeting.id == mid
    assert found[mid, None].meeting.present  # the open meeting's attendance came with it
    assert found[None, since].meeting is None
    assert found[None, since].next_meeting is not None and found[None, since].next_meeting[0] == mid
    assert found[mid, since].meeting.id == mid and found[mid, since].next_meeting[0] == mid
    same = [f.name for f in fields(situation_context.SituationContext)
            if f.name not in ("meeting", "next_meeting", "transition_ids")]
    first = found[None, None]
    for context in found.values():
        assert {n: getattr(context, n) for n in same} == {n: getattr(first, n) for n in same}
