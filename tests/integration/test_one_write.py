"""The command's one write (workflow.appends): rows that wait are invisible to no one.

Audit entries, chain heads, outbox events and rule firings wait on the connection until the
transaction commits. These tests hold that nobody can tell: a reader in the same transaction
sees them, a rollback leaves nothing, a savepoint rolled back to takes exactly what was appended
inside it, two writers of one chain never fork it, and the chain verifies afterwards.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from support.factories import filter1, submitted

from workflow import audit, situations
from workflow.models import AuditChainHead, AuditEntry, OutboxEvent, Situation
from workflow.outbox import emit


def _entries(session, chain: str) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.chain == chain))


def test_a_reader_in_the_same_transaction_sees_what_waits(world):
    sid = submitted(world)
    with world.runtime.command() as s:
        before = _entries(s, f"situation:{sid}")
        audit.record(s, "situation.test", actor=None, situation_id=sid, detail={"n": 1})
        emit(s, "situation.flagged", table_id=world.table_id, extra={"flag_code": "x"})
        assert _entries(s, f"situation:{sid}") == before + 1
        assert s.scalar(select(func.count()).select_from(OutboxEvent)
                        .where(OutboxEvent.event_type == "situation.flagged")) == 1
        head = s.scalar(select(AuditChainHead.seq)
                        .where(AuditChainHead.chain == f"situation:{sid}"))
        assert head == before + 1
    with world.runtime.read() as s:
        assert audit.verify(s)[1] == []


def test_a_rollback_leaves_nothing(world):
    sid = submitted(world)
    with world.runtime.read() as s:
        before = _entries(s, f"situation:{sid}")
    with pytest.raises(RuntimeError), world.runtime.command() as s:
        audit.record(s, "situation.test", actor=None, situation_id=sid)
        raise RuntimeError("the command fails after appending")
    with world.runtime.read() as s:
        assert _entries(s, f"situation:{sid}") == before
        assert audit.verify(s)[1] == []


def test_a_savepoint_rolled_back_takes_only_what_was_appended_inside_it(world):
    sid = submitted(world)
    chain = f"situation:{sid}"
    with world.runtime.read() as s:
        before = _entries(s, chain)
    with world.runtime.command() as s:
        audit.record(s, "situation.kept", actor=None, situation_id=sid)
        nested = s.begin_nested()
        audit.record(s, "situation.dropped", actor=None, situation_id=sid)
        nested.rollback()
        audit.record(s, "situation.kept_too", actor=None, situation_id=sid)
    with world.runtime.read() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.chain == chain)
                                 .order_by(AuditEntry.seq)))
        assert len(actions) == before + 2
        assert actions[-2:] == ["situation.kept", "situation.kept_too"]
        assert audit.verify(s)[1] == []


def test_many_entries_of_one_command_leave_as_one_chain(world):
    sid = submitted(world)
    with world.runtime.command() as s:
        for n in range(5):
            audit.record(s, "situation.test", actor=None, situation_id=sid, detail={"n": n})
        audit.record(s, "system.test", actor=None)
    with world.runtime.read() as s:
        checked, problems = audit.verify(s)
        assert problems == [] and checked >= 6


def test_on_postgresql_a_command_and_another_writer_of_its_chain_take_turns(pg_runtime):
    """The chain head is read locked, once per transaction: another writer of the chain (an
    identity read's entry, say) waits for the command to commit and then links to the
    command's last entry, which was written with the head as the command committed.

    (Reading the head inside the command's first read, under a lock on the situation row,
    would save a round trip but is wrong on PostgreSQL: after waiting for the row lock, READ
    COMMITTED rechecks the locked row only, and the head beside it is the stale one.)"""
    import threading
    import time

    from support.factories import build_world

    from workflow import gatekeeper

    world = build_world(pg_runtime)
    with world.runtime.command() as s:
        sid = situations.draft(s, world.user(s, "school"), world.table_id, filter1()).id
    order: list[str] = []
    with world.runtime.command() as s:
        run = gatekeeper.begin(s, world.user(s, "school"), "update_draft", sid)
        run.record()

        def other_writer() -> None:
            with world.runtime.command() as other:
                audit.record(other, "situation.identity_viewed", actor=None, situation_id=sid)
            order.append("other")

        thread = threading.Thread(target=other_writer)
        thread.start()
        time.sleep(0.5)
        order.append("command")
    thread.join(timeout=10)
    assert order == ["command", "other"]
    with world.runtime.read() as s:
        actions = list(s.scalars(select(AuditEntry.action)
                                 .where(AuditEntry.chain == f"situation:{sid}")
                                 .order_by(AuditEntry.seq)))
        assert actions[-2:] == ["situation.update_draft", "situation.identity_viewed"]
        assert audit.verify(s)[1] == []


def test_a_failing_one_write_fails_the_commit_with_no_row_in_its_message(world):
    """The one write is sent past SQLAlchemy, so it trims the driver's error as every other
    statement is trimmed (workflow.db): the commit fails, nothing lands, and the message names
    no value of the row (PostgreSQL's DETAIL line would)."""
    from workflow import appends

    sid = submitted(world)
    with world.runtime.read() as s:
        before = _entries(s, f"situation:{sid}")
        first = s.scalar(select(AuditEntry).where(AuditEntry.chain == f"situation:{sid}",
                                                  AuditEntry.seq == 1))
        copy = {c.name: getattr(first, c.name) for c in AuditEntry.__table__.columns
                if c.name != "id"}
        copy["detail"] = {"marker": "Failing-Row-Marker"}
    with pytest.raises(Exception) as failed, world.runtime.command() as s:
        appends.add(s, AuditEntry, copy)  # the same (chain, seq): the unique key refuses it
    message = str(failed.value)
    assert "unique" in message.lower()
    assert "DETAIL" not in message and "Failing-Row-Marker" not in message
    assert f"situation:{sid}" not in message
    with world.runtime.read() as s:
        assert _entries(s, f"situation:{sid}") == before


def _prepared_writes(session) -> list[str]:
    return list(session.scalars(text(
        "SELECT statement FROM pg_prepared_statements WHERE name LIKE 'hubtable_write_%'")))


def test_on_postgresql_a_commands_write_is_prepared_once_per_connection(pg_runtime):
    """The write's statements are EXECUTEs of statements the connection prepared: the second
    command of a kind prepares nothing new, and a new connection prepares them again."""
    from support.factories import build_world

    world = build_world(pg_runtime)
    world.runtime.engine.dispose()  # from here on, one connection (a single thread's)
    submitted(world)  # the first also makes the table's next meeting
    submitted(world)
    with world.runtime.read() as s:
        first = _prepared_writes(s)
    submitted(world)
    with world.runtime.read() as s:
        assert sorted(_prepared_writes(s)) == sorted(first)
        assert any("INSERT INTO transitions" in p for p in first)
        assert any("UPDATE situations" in p for p in first)
    world.runtime.engine.dispose()  # every connection replaced
    sid = submitted(world)
    with world.runtime.read() as s:
        assert s.get(Situation, sid).stage == "on_agenda"
        again = _prepared_writes(s)
        assert set(again) <= set(first) and any("UPDATE situations" in p for p in again)


def test_on_postgresql_a_bulk_write_goes_as_text(pg_runtime):
    """More rows than a command writes (a sweep's batch) are sent as text, not prepared: a
    statement takes at most 65,535 parameters, and its parsing is spread over its rows."""
    from support.factories import build_world

    from workflow.appends import PREPARED_ROWS

    world = build_world(pg_runtime)
    sid = submitted(world)
    world.runtime.engine.dispose()  # from here on, one connection: the write's is the read's
    with world.runtime.command() as s:
        audit.record(s, "situation.test", actor=None, situation_id=sid)  # a command-sized part
        for _ in range(PREPARED_ROWS + 1):
            emit(s, "situation.flagged", table_id=world.table_id, extra={"flag_code": "x"})
    with world.runtime.read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEvent).where(
            OutboxEvent.event_type == "situation.flagged")) == PREPARED_ROWS + 1
        prepared = _prepared_writes(s)
        assert prepared and not any("outbox_events" in p for p in prepared)


def test_on_postgresql_a_failed_write_leaves_what_was_prepared_usable(pg_runtime):
    """A write that fails after its statements were prepared rolls back, but the server keeps
    them: the next write of the same shape on that connection executes them (neither
    prepared twice nor taken as prepared when it was not)."""
    from support.factories import build_world

    from workflow import appends

    world = build_world(pg_runtime)
    sid = submitted(world)
    with world.runtime.read() as s:
        last = s.scalar(select(AuditEntry).where(AuditEntry.chain == f"situation:{sid}")
                        .order_by(AuditEntry.seq.desc()).limit(1))
        row = {c.name: getattr(last, c.name) for c in AuditEntry.__table__.columns
               if c.name != "id"}
    world.runtime.engine.dispose()  # one new connection, which has prepared nothing yet
    with pytest.raises(Exception, match="unique"), world.runtime.command() as s:
        appends.add(s, AuditEntry, row)  # the same (chain, seq): refused, after preparing
    with world.runtime.command() as s:
        appends.add(s, AuditEntry, {**row, "seq": row["seq"] + 1, "hash": "f" * 64})
    with world.runtime.read() as s:
        assert _entries(s, f"situation:{sid}") == row["seq"] + 1
