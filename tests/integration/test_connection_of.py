"""A session's connection is asked of it once per transaction (workflow.db.connection_of), and
never outlives the transaction: the next one, after a commit or a rollback, gets its own.
(That rows appended inside a savepoint go with it when it is rolled back, which only holds if
the savepoint is asked for its own connection: tests/integration/test_one_write.py.)"""

from __future__ import annotations

import pytest

from workflow.db import connection_of


def test_one_transaction_one_connection_and_the_next_asks_again(runtime):
    session = runtime.sessions()
    try:
        first = connection_of(session)
        assert connection_of(session) is first is session.connection()
        with session.begin_nested():  # a savepoint keeps the transaction's connection
            assert connection_of(session) is first
        session.commit()
        second = connection_of(session)
        assert second is session.connection()
        assert second is not first and first.closed
        session.rollback()
        third = connection_of(session)
        assert third is session.connection() and third is not second and second.closed
    finally:
        session.close()
    assert "hubtable.db.connection" not in session.info


def test_a_failed_command_leaves_no_connection_behind(runtime):
    with pytest.raises(RuntimeError), runtime.command() as session:
        connection_of(session)
        raise RuntimeError("the command fails")
    assert "hubtable.db.connection" not in session.info

