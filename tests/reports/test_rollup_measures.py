"""The rolled-up measures (time indicators, equity answers, follow-up answers: see
workflow/reports/rollup_measures.py) stay exact when the commands change them after a
refresh, and rollups built as an older version are neither read nor kept."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy import delete, func, select

from reports.dataset import build
from reports.generated import generate
from workflow import equity, follow_up
from workflow.models import (
    FollowUp,
    ReportRollup,
    ReportRollupMonth,
    ReportRollupState,
    Situation,
)
from workflow.reports import parse_period, resolve_scope
from workflow.reports.rollup_days import ROLLUP_VERSION, STATE_ID
from workflow.reports.rollup_reads import report_counts

from .test_rollups import AS_OF, PERIODS, _assert_same, _both, _dirty, _refresh

WHOLE = ("2025-11-01", "2026-06-01")


@pytest.fixture
def data(world):
    build(world)
    generate(world)
    return world


def _dirty_days(world):
    return {(t, lo) for t, lo, _ in _dirty(world).ranges}


def test_answers_recorded_after_a_refresh_are_counted_live_then_rolled_up(data):
    _refresh(data)
    before, _ = _both(data, *WHOLE)
    S = Situation
    with data.runtime.command() as s:
        # An old open situation the school presented: its person answers now.
        sit = s.scalars(select(S).where(
            S.table_id == data.table_id, S.stage == "accepted",
            S.originating_agency_id == data.agencies["school"]).order_by(S.id)).first()
        equity.record(s, data.user(s, "school"), sit.id,
                      {"race": "indigenous", "ethnic_minority": "yes"}, consent=True)
        # An old closure with risk lowered, led by CMHA, never asked: CMHA answers now.
        asked = select(FollowUp.id).where(FollowUp.situation_id == S.id).exists()
        closed = s.scalars(select(S).where(
            S.table_id == data.table_id, S.stage == "closed", ~asked,
            S.conclusion_reason.in_(follow_up.risk_lowered_codes()),
            S.lead_agency_id == data.agencies["cmha"]).order_by(S.id)).first()
        follow_up.record(s, data.user(s, "cmha"), closed.id, "yes")
        days = {(data.table_id, sit.presented_at.astimezone(UTC).date()),
                (data.table_id, closed.closed_at.astimezone(UTC).date())}
    assert days <= _dirty_days(data)  # the answers made their days dirty
    raw, rolled = _both(data, *WHOLE)
    assert rolled == raw
    assert raw != before  # the answers are in
    _assert_same(data, periods=[WHOLE, *PERIODS[:2]])
    refreshed = _refresh(data)
    assert not refreshed.full and 1 <= refreshed.days <= 4
    assert not _dirty(data).ranges
    assert _both(data, *WHOLE)[1] == raw
    _assert_same(data, periods=[WHOLE, *PERIODS[:2]])


def test_rollups_of_an_older_version_are_not_read_and_are_rebuilt(data):
    _refresh(data)
    with data.runtime.command() as s:
        # As a database rolled up before version 2 holds them: no equity rows, version 1.
        for table in (ReportRollup, ReportRollupMonth):
            s.execute(delete(table).where(table.kind.like("e:%")))
        s.get(ReportRollupState, STATE_ID).version = 1
    with data.runtime.read() as s:
        scope = resolve_scope(s, parse_period(*WHOLE), table="PEEL")
        assert report_counts(s, scope, AS_OF) is None  # the report groups the situations
    _assert_same(data, periods=[WHOLE])
    refreshed = _refresh(data)
    assert refreshed.full
    with data.runtime.read() as s:
        assert s.get(ReportRollupState, STATE_ID).version == ROLLUP_VERSION
        assert s.scalar(select(func.count()).select_from(ReportRollup)
                        .where(ReportRollup.kind.like("e:%"))) > 10
        assert report_counts(s, scope, AS_OF) is not None
    _assert_same(data, periods=[WHOLE, PERIODS[0]])
