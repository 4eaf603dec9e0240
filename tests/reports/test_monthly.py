"""The monthly stored report: one row per table and month, rebuilt in place."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from workflow.errors import NotFound, ValidationError
from workflow.models import StoredReport
from workflow.reports import store_monthly


def test_store_monthly_is_an_idempotent_upsert(world, dataset):
    with world.runtime.command() as s:
        first = store_monthly(s, world.table_id, "2026-01", now=datetime(2026, 2, 1, tzinfo=UTC))
        first_id = first.id
        decisions = next(f for f in first.body["figures"] if f["key"] == "decisions")
        assert decisions["total"]["cells"][0]["text"] == "4"   # A1, A2, R1, W1 in January
        assert first.body["scope"]["from"] == "2026-01-01"
        assert first.body["scope"]["to"] == "2026-02-01"
    with world.runtime.command() as s:
        again = store_monthly(s, world.table_id, "2026-01", now=datetime(2026, 2, 2, tzinfo=UTC))
        assert again.id == first_id
        assert again.created_at == datetime(2026, 2, 2, tzinfo=UTC)
        store_monthly(s, world.table_id, "2026-02")
    with world.runtime.read() as s:
        assert s.scalar(select(func.count()).select_from(StoredReport)) == 2


def test_store_monthly_refuses_a_bad_month_or_table(world):
    with world.runtime.command() as s:
        with pytest.raises(ValidationError, match="not a month"):
            store_monthly(s, world.table_id, "2026-13")
        with pytest.raises(NotFound):
            store_monthly(s, 9999, "2026-01")
