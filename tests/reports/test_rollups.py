"""Reports from the daily rollups give the very figures the raw computation gives: on a
generated data set with every suppression edge, on both databases, for whole months, odd days
and several tables, before and after a command changes today's data, and after refreshes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from support.factories import in_intervention

from reports.dataset import build
from reports.generated import generate
from workflow.models import (
    ReportDurationRollup,
    ReportDurationRollupMonth,
    ReportRollup,
    ReportRollupMonth,
    ReportRollupState,
    Situation,
    Table,
    utcnow,
)
from workflow.reports import build_report, parse_period, refresh_rollups, resolve_scope
from workflow.reports.rollups import STATE_ID, Days, changed_days

AS_OF = datetime(2026, 3, 5, 15, 30, tzinfo=UTC)
PERIODS = [("2026-01-01", "2026-03-01"), ("2026-01-07", "2026-02-13"),
           ("2025-11-01", "2026-04-01"), ("2026-02-20", "2026-02-21")]


@pytest.fixture
def data(world):
    build(world)
    generate(world)
    # Targets on one table: its reports (and those of all tables, the strictest target) judge
    # the time indicators within hours, the others show medians.
    with world.runtime.command() as s:
        s.execute(update(Table).where(Table.code == "OTHER").values(
            targets={"hours_to_decision": 1, "hours_to_first_contact": 48}))
    return world


def _both(world, start, end, *, table="PEEL", now=AS_OF):
    with world.runtime.read() as s:
        scope = resolve_scope(s, parse_period(start, end), table=table)
        raw = build_report(s, scope, now=now, rollups=False).as_dict()
        rolled = build_report(s, scope, now=now).as_dict()
    return raw, rolled


def _assert_same(world, *, now=AS_OF, periods=PERIODS):
    for start, end in periods:
        for table in ("PEEL", "OTHER", None):
            raw, rolled = _both(world, start, end, table=table, now=now)
            assert rolled == raw, (start, end, table)


def _refresh(world, **kw):
    with world.runtime.command() as s:
        return refresh_rollups(s, margin=timedelta(0), **kw)


def _dirty(world):
    with world.runtime.read() as s:
        return changed_days(s, s.get(ReportRollupState, STATE_ID))


def _threshold(world, value):
    with world.runtime.command() as s:
        s.execute(update(Table).values(small_cell_threshold=value))


def test_rollups_give_the_raw_figures_with_and_without_suppression(data):
    refreshed = _refresh(data)
    assert refreshed.full and refreshed.days > 50
    assert not _dirty(data).ranges        # every day from the rollups, none live
    raw, _ = _both(data, *PERIODS[0])
    # The data set has suppression edges: small cells hidden, complements hidden, shares hidden.
    texts = [c["text"] for f in raw["figures"] for r in f["rows"] for c in r["cells"]]
    assert "<5" in texts and "x" in texts and "0" in texts
    shares = [c["text"] for f in raw["equity"] for r in f["rows"] for c in r["cells"]]
    assert "suppressed" in shares and any(t.endswith("%") for t in shares)
    assert raw["statistics"][0]["median"] is not None
    # ... and so have the self-identified equity answers, the follow-up answers and the time
    # indicators (rolled up too: rollup_measures.py).
    figures = {f["key"]: f for f in (*raw["figures"], *raw["equity"])}
    for key in ("equity_self_race", "equity_self_ethnic_minority", "follow_up"):
        cells = [c["text"] for r in figures[key]["rows"] for c in r["cells"]]
        assert "<5" in cells and "0" in cells and sum(t.isdigit() for t in cells) >= 2, key
    assert "x" in [c["text"] for r in figures["equity_self_ethnic_minority"]["rows"]
                   for c in r["cells"]]
    indicators = {i["key"]: i["share"]["text"] for i in raw["indicators"]}
    assert indicators["risk_sustained"] == "suppressed"
    assert indicators["time.hours_to_decision"].endswith("h median")
    assert indicators["time.hours_to_first_contact"].endswith("h median")
    _, all_tables = _both(data, *PERIODS[0], table=None)
    shares = {i["key"]: i["share"]["text"] for i in all_tables["indicators"]}
    assert shares["time.hours_to_decision"].endswith("%")
    assert shares["time.hours_to_first_contact"].endswith("%")
    _assert_same(data)
    _threshold(data, 1)
    _assert_same(data)
    raw, _ = _both(data, *PERIODS[0])
    assert {i["key"]: i["share"]["text"] for i in raw["indicators"]}["risk_sustained"] \
        .endswith("%")
    _threshold(data, 11)
    _assert_same(data, periods=PERIODS[:2])


def test_as_of_inside_the_period_counts_first_contacts_due_by_then(data):
    _refresh(data)
    for hour in (0, 9, 23):
        now = datetime(2026, 2, 1, hour, 17, 3, 250_000, tzinfo=UTC)
        _assert_same(data, now=now, periods=[("2026-01-01", "2026-03-01")])


def test_todays_commands_are_counted_live_before_the_next_refresh(data):
    _refresh(data)
    today = utcnow().date()
    period = [("2025-11-01", (today + timedelta(days=1)).isoformat())]
    before, _ = _both(data, *period[0], now=utcnow())
    # A real command pipeline today: submitted, presented, accepted, planned.
    in_intervention(data)
    with data.runtime.command() as s:
        # An old situation changes today: first contact made, another closed.
        old = s.scalars(select(Situation).where(
            Situation.accepted_at.is_not(None), Situation.first_contact_at.is_(None),
            Situation.stage == "accepted").order_by(Situation.id)).all()
        old[0].first_contact_at = utcnow()
        old[1].stage, old[1].closed_at = "closed", utcnow()
        old[1].conclusion_reason = "lowered_connected"
    dirty = _dirty(data)
    assert (data.table_id, today) in {(t, lo) for t, lo, _ in dirty.ranges} or any(
        t == data.table_id and lo <= today < hi for t, lo, hi in dirty.ranges)
    now = utcnow()
    raw, rolled = _both(data, *period[0], now=now)
    assert rolled == raw
    assert raw != before                    # today's changes are in
    _assert_same(data, now=now, periods=period + PERIODS[:2])
    refreshed = _refresh(data)
    assert not refreshed.full and 1 <= refreshed.days <= 4
    assert not _dirty(data).ranges
    _assert_same(data, now=now, periods=period + PERIODS[:2])


def test_an_incremental_refresh_leaves_what_a_full_rebuild_builds(data):
    _refresh(data)
    in_intervention(data)
    with data.runtime.command() as s:
        sit = s.scalars(select(Situation).where(Situation.stage == "rejected")
                        .order_by(Situation.id)).first()
        sit.help_source = None
    _refresh(data)

    def rows():
        out = []
        with data.runtime.read() as s:
            for table in (ReportRollup, ReportRollupMonth, ReportDurationRollup,
                          ReportDurationRollupMonth):
                columns = [c for c in table.__table__.columns]
                out.append(sorted(tuple(r) for r in s.execute(select(*columns))))
        assert all(out)
        return out

    incremental = rows()
    assert _refresh(data, full=True).full
    assert rows() == incremental


def test_without_rollups_the_report_groups_the_situations(data):
    with data.runtime.read() as s:
        assert s.scalar(select(func.count()).select_from(ReportRollup)) == 0
    _assert_same(data, periods=PERIODS[:1])
    _refresh(data)
    with data.runtime.read() as s:
        assert s.scalar(select(func.count()).select_from(ReportRollup)) > 100
        assert s.scalar(select(func.min(ReportRollup.day))) >= date(2025, 11, 20)


def test_dirty_days_cover_whole_months_for_the_monthly_rows():
    days = Days.of([(1, date(2026, 1, 31)), (1, date(2026, 2, 1)), (1, date(2026, 3, 15)),
                    (2, date(2025, 12, 2))])
    assert days.ranges == ((1, date(2026, 1, 31), date(2026, 2, 2)),
                           (1, date(2026, 3, 15), date(2026, 3, 16)),
                           (2, date(2025, 12, 2), date(2025, 12, 3)))
    assert len(days) == 4
    assert days.months().ranges == ((1, date(2026, 1, 1), date(2026, 4, 1)),
                                    (2, date(2025, 12, 1), date(2026, 1, 1)))
