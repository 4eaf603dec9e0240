"""The unit fixtures keep tests apart: whatever a test commits is gone for the next one."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from support.factories import filter1

from workflow import situations
from workflow.models import Situation


@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_starts_from_the_world_alone(db, steps, round_):
    assert db.scalar(select(func.count()).select_from(Situation)) == 0
    steps.submitted()  # committed (to a savepoint), then rolled back after the test
    assert db.scalar(select(func.count()).select_from(Situation)) == 1


def test_a_refused_command_leaves_nothing_behind(db, cmd, user, core_world):
    kept = None
    with pytest.raises(RuntimeError), cmd() as s:
        kept = situations.draft(s, user("school"), core_world.table_id, filter1())
        assert kept.id is not None  # flushed: the row exists inside the command
        raise RuntimeError("refused after the draft")
    assert db.scalar(select(func.count()).select_from(Situation)) == 0
