"""A count the report hides must not be printed, under another name, elsewhere in the report,
nor be pinned by a share printed beside it (the review of complementary suppression)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from reports.dataset import _situation, t
from reports.helpers import grid, report
from workflow.models import Table

THRESHOLD = 5


def _add(world, n: int, **fields) -> None:
    """`n` situations presented in January at PEEL (accepted unless said otherwise)."""
    base = dict(origin="school", age_group="40-59", gender="female", presented_at=t(1, 5),
                decided_at=t(1, 5), accepted_at=t(1, 5), lead="cmha",
                first_contact_due=t(1, 7), first_contact_at=t(1, 6))
    base.update(fields)
    with world.runtime.command() as s:
        for _ in range(n):
            _situation(s, world, **base)


def _threshold(world) -> None:
    with world.runtime.command() as s:
        s.execute(update(Table).where(Table.id == world.table_id)
                  .values(small_cell_threshold=THRESHOLD))


def _printed(rep) -> list[str]:
    """Every number the report prints, as text."""
    out = []
    for fig in (*rep.figures, *rep.equity):
        for row in fig.rows + ([fig.total] if fig.total else []):
            out += [c.text for c in row["cells"]]
    out += [i.share.text for i in rep.indicators]
    return out


@pytest.fixture
def accepted_hidden(world):
    """15 accepted and 2 rejected: the decisions figure hides the accepted count ('x') so
    that the 2 rejected cannot be had as the total less the accepted."""
    _add(world, 9, services=["counselling"])
    _add(world, 6, first_contact_at=None, first_contact_due=t(1, 7))
    _add(world, 2, accepted_at=None, lead=None, first_contact_due=None, first_contact_at=None,
         stage="rejected", rejection_reason="not_aer")
    _threshold(world)


def test_the_accepted_count_hidden_in_decisions_is_hidden_in_the_balance_figure(
        world, accepted_hidden):
    rep = report(world)
    decisions = grid(rep, "decisions")
    assert decisions["accepted"] == ["x"] and decisions["rejected"] == ["<5"]
    assert decisions["total"] == ["17"]
    balance = grid(rep, "balance_sectors")
    # Originated, led and assisted totals: the presented total may show, the accepted not.
    assert balance["total"][0] == "17"
    assert "15" not in balance["total"]
    assert "15" not in [row[2] for row in balance.values()]  # led per sector


def test_a_share_is_hidden_when_its_denominator_is(world, accepted_hidden):
    """9 of the 15 accepted received help: 60.0% of x, with x in 13..16 (17 less a count
    from 1 to 4), holds only for x = 15, which gives back the 2 rejected."""
    rep = report(world)
    shares = {i.key: i.share for i in rep.indicators}
    assert shares["received_help"].value is None
    equity = grid(rep, "equity_age_group")
    assert equity["40-59"][0] == "x"
    assert equity["40-59"][1] == "suppressed"
    assert equity["total"][1] == "suppressed"


def test_without_a_lead_is_not_the_led_total_less_the_accepted(world):
    """10 accepted with a lead and 2 without one: 'No lead agency yet' is <5, so the led
    total of the balance figure (10) must not print beside the accepted total (12)."""
    _add(world, 10)
    _add(world, 2, lead=None)
    _threshold(world)
    rep = report(world)
    lead = grid(rep, "lead_sectors")
    assert lead["no_lead"] == ["<5"] and lead["total"] == ["12"]
    balance = grid(rep, "balance_sectors")
    assert balance["total"][2] != "10"
    assert balance["mental_health"][2] != "10"


def test_the_follow_up_total_is_the_risk_lowered_outcome_cell(world):
    """10 closed with risk lowered and 2 still AER: the outcomes figure hides risk lowered
    ('x'); the follow-up figure counts the same 10 and must hide them too."""
    closed = dict(stage="closed", closed_at=t(1, 20))
    _add(world, 10, conclusion_reason="lowered_connected", **closed)
    _add(world, 2, conclusion_reason="still_aer_refused", **closed)
    _threshold(world)
    rep = report(world)
    outcomes = grid(rep, "outcomes")
    assert outcomes["risk_lowered"] == ["x"] and outcomes["total"] == ["12"]
    assert grid(rep, "follow_up")["total"] != ["10"]


def test_a_region_records_export_does_not_give_back_a_count_a_table_report_hides(world):
    """Records carry their table: in a region's export, the records of one table must not
    be countable into a number that table's own report (which the same manager may open)
    shows as <5. Here PEEL has 2 accepted girls aged 12-15 and OTHER 6 of the same kind."""
    from workflow.reports import parse_period, resolve_scope
    from workflow.reports.kanon import bounds
    from workflow.reports.records import records

    with world.runtime.command() as s:
        other = s.scalar(select(Table.id).where(Table.code == "OTHER"))
        s.execute(update(Table).values(region="Peel"))
    _add(world, 2, age_group="12-15")
    _add(world, 10)
    _add(world, 6, age_group="12-15", table_id=other)
    _add(world, 10, table_id=other)
    with world.runtime.command() as s:
        s.execute(update(Table).values(small_cell_threshold=THRESHOLD))
    assert grid(report(world), "age_group")["12-15"][0] == "<5"
    with world.runtime.read() as s:
        scope = resolve_scope(s, parse_period("2026-01-01", "2026-03-01"), region="Peel")
        rows = list(records(s, scope))
    peel = [r for r in rows if r["table"] == "PEEL"]
    low, high = bounds(peel, [("age_group", "12-15"), ("decision", "accepted")])
    assert low < high
