"""Bulk loads leave the rollups built, and the reports that read them exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from workflow.demo import bulk_situations
from workflow.models import ReportRollup, ReportRollupState
from workflow.reports import build_report, parse_period, resolve_scope


def test_bulk_situations_end_with_the_rollups_built(world):
    # Stamped an hour ago (as a long load would be): nothing is left for the live part.
    stamp = datetime.now(UTC) - timedelta(hours=1)
    with world.runtime.command() as s:
        assert bulk_situations(s, world.table_id, 300, now=stamp) == 300
    with world.runtime.read() as s:
        assert s.scalar(select(func.count()).select_from(ReportRollup)) > 300
        state = s.get(ReportRollupState, 1)
        assert state.max_situation_id >= 300 and state.watermark > stamp
        today = datetime.now(UTC).date()
        scope = resolve_scope(s, parse_period((today - timedelta(days=760)).isoformat(),
                                              (today + timedelta(days=1)).isoformat()),
                              table="PEEL")
        raw = build_report(s, scope, rollups=False, now=stamp).as_dict()
        assert build_report(s, scope, now=stamp).as_dict() == raw
        assert raw["figures"][0]["total"]["cells"][0]["text"] != "0"
