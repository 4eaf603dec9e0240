"""Fixtures of the report tests: the hand-built data set on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from reports.dataset import build
from workflow.models import Table


@pytest.fixture
def dataset(world):
    """The data set, with suppression switched off (threshold 1) so raw figures show."""
    ids = build(world)
    with world.runtime.command() as s:
        s.execute(update(Table).where(Table.id == world.table_id)
                  .values(small_cell_threshold=1))
    return ids
