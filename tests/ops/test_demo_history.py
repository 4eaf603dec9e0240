"""The demo's year of history: a manager's first report has real, unsuppressed figures for
both tables, the bulk rows are as complete as the commands would leave them, and the
Vietnamese table's people and places are Vietnamese."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from workflow import situations
from workflow.demo import _facts, build_demo
from workflow.models import (
    Agency,
    Involvement,
    Situation,
    SituationRiskFactor,
    Table,
    Transition,
    User,
)
from workflow.reports import build_report, parse_period, resolve_scope

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture
def demo(runtime):
    began = time.monotonic()
    build_demo(runtime, password="demo-password-1", now=NOW)
    elapsed = time.monotonic() - began
    assert elapsed < 30, f"the demo took {elapsed:.1f} s"
    return runtime


def _report(session, code):
    scope = resolve_scope(session, parse_period(None, "2026-12-01"), table=code)
    return build_report(session, scope, now=NOW)


def _shown(cells) -> list:
    return [c.value for c in cells if c.value is not None]


@pytest.mark.parametrize("code", ["PEEL", "CANTHO"])
def test_the_first_report_has_real_figures(demo, code):
    with demo.read() as session:
        report = _report(session, code)
    decisions = report.figure("decisions")
    counts = {row["code"]: row["cells"][0].value for row in decisions.rows}
    assert counts["accepted"] >= 250 and counts["rejected"] >= 50, counts
    assert decisions.total["cells"][0].value >= 350
    # every figure has numbers a manager can read, not just "<5" or "No data"
    for figure in (*report.figures, *report.equity):
        shown = _shown(c for row in figure.rows for c in row["cells"])
        assert sum(v for v in shown if isinstance(v, int)) > 0 or any(
            isinstance(v, float) for v in shown), f"{code} {figure.key} has no figure shown"
    for key in ("outcomes", "conclusions", "risk_categories", "top_factors", "lead_sectors",
                "assisting_sectors", "rejection_reasons"):
        figure = report.figure(key)
        shown = _shown(c for row in figure.rows for c in row["cells"])
        assert len([v for v in shown if v >= 5]) >= 3, f"{code} {key}: {shown}"
    trends = report.figure("trends")
    presented = [row["cells"][0].value for row in trends.rows]
    closed = [row["cells"][4].value for row in trends.rows]
    assert len(trends.rows) == 12
    assert sum(1 for v in presented if v is not None and v >= 10) >= 11, presented
    assert sum(1 for v in closed if v is not None and v >= 5) >= 9, closed
    for indicator in report.indicators:
        assert indicator.share.value is not None, (code, indicator)
        if not indicator.key.startswith("time."):  # shares; time indicators are in hours
            assert 50 <= indicator.share.value <= 100, (code, indicator)
    for statistic in report.statistics:
        assert statistic.median is not None and statistic.p90 is not None, statistic


def test_history_rows_are_complete(demo):
    with demo.read() as session:
        closed = list(session.scalars(select(Situation).where(Situation.stage == "closed")))
        assert len(closed) >= 400
        for s in closed:
            assert s.presented_at and s.decided_at and s.accepted_at and s.closed_at
            assert s.conclusion_reason and s.lead_agency_id
            assert s.presented_at <= s.accepted_at < s.closed_at
        # (the walked Vietnamese ones follow a pack without a first-contact deadline)
        assert sum(1 for s in closed if s.first_contact_due) > 0.95 * len(closed)
        ids = [s.id for s in closed]
        closes = session.scalar(select(func.count()).select_from(Transition).where(
            Transition.command == "close", Transition.situation_id.in_(ids)))
        assert closes == len(ids)
        leads = session.scalar(select(func.count(func.distinct(Involvement.situation_id)))
                               .where(Involvement.role == "lead",
                                      Involvement.situation_id.in_(ids)))
        assert leads == len(ids)
        assisted = session.scalar(select(func.count(func.distinct(Involvement.situation_id)))
                                  .where(Involvement.role == "assisting",
                                         Involvement.situation_id.in_(ids)))
        assert assisted > len(ids) / 2
        without_factors = session.scalar(select(func.count()).select_from(Situation).where(
            ~Situation.id.in_(select(SituationRiskFactor.situation_id))))
        assert without_factors == 0
        rejected = session.scalars(select(Situation).where(Situation.stage == "rejected"))
        assert all(s.rejection_reason and s.decided_at for s in rejected)
        # a history row's agencies are the table's own
        for s in closed:
            lead = session.get(Agency, s.lead_agency_id)
            assert any(m.table_id == s.table_id for m in lead.memberships)


def test_a_command_after_the_bulk_insert_gets_a_fresh_id(demo):
    """The explicit ids of the history must not collide with the next situation (PostgreSQL
    sequences do not move by themselves)."""
    import random

    with demo.command() as session:
        rep = session.scalar(select(User).where(
            User.email == "peel-police.rep@demo.hubtable.test"))
        peel = session.scalar(select(Table.id).where(Table.code == "PEEL"))
        sid = situations.draft(session, rep, peel, _facts(random.Random(1))).id
    with demo.read() as session:
        assert sid == session.scalar(select(func.max(Situation.id)))


def test_the_vietnamese_table_speaks_vietnamese(demo):
    with demo.read() as session:
        table = session.scalar(select(Table).where(Table.code == "CANTHO"))
        assert "Cần Thơ" in table.meeting_place and "Cần Thơ" in table.name
        agencies = [m.agency for m in table_members(session, table.id)]
        assert agencies and all(not a.name.isascii() for a in agencies)
        users = session.scalars(select(User).where(User.agency_id.in_([a.id for a in agencies])))
        assert all(not u.display_name.isascii() and " rep" not in u.display_name for u in users)
        summaries = set(session.scalars(select(Situation.summary).where(
            Situation.table_id == table.id)))
        assert summaries and all(not s.isascii() for s in summaries if s)


def table_members(session, table_id):
    from workflow.models import TableMembership

    return list(session.scalars(select(TableMembership).where(
        TableMembership.table_id == table_id)))
