"""Balance, sustained share and self-identified equity in the report and its exports,
with their targets, suppressed like every figure; equity answers stay with their agency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from support.factories import build_world, in_intervention

from workflow import equity, follow_up, interventions
from workflow.errors import PermissionDenied, ValidationError
from workflow.models import Situation, Table, utcnow
from workflow.reports import build_report, parse_period, resolve_scope
from workflow.reports.exports import aggregate_rows


@pytest.fixture
def world(runtime):
    w = build_world(runtime)
    now = utcnow() - timedelta(days=2)
    sids = [in_intervention(w, now=now)[0] for _ in range(5)]
    with w.runtime.command() as s:
        chair = w.user(s, "chair")
        for sid, value in zip(sids, ("black", "black", "prefer_not", "white", None),
                              strict=True):
            equity.record(s, w.user(s, "school"), sid, {"race": value}, consent=True)
        for sid in sids[:2]:
            for task in s.get(Situation, sid).tasks:
                interventions.update_task(s, w.user(s, "housing"), task.id, status="done")
            interventions.close(s, chair, sid, conclusion_reason="lowered_connected")
        follow_up.record(s, w.user(s, "cmha"), sids[0], "yes")
        follow_up.record(s, w.user(s, "cmha"), sids[1], "no")
        s.execute(update(Table).where(Table.id == w.table_id).values(
            targets={"led_max": {"mental_health": 50}, "hours_to_decision": 48}))
    w.sids = sids
    return w


def _report(world, threshold):
    with world.runtime.command() as s:
        s.execute(update(Table).where(Table.id == world.table_id)
                  .values(small_cell_threshold=threshold))
    today = utcnow().date()
    with world.runtime.read() as s:
        scope = resolve_scope(s, parse_period(str(today - timedelta(days=30)),
                                              str(today + timedelta(days=1))), table="PEEL")
        return build_report(s, scope)


def _row(fig, code):
    return [c.text for c in next(r for r in fig.rows if r["code"] == code)["cells"]]


def test_balance_sustained_share_and_equity_appear_with_their_targets(world):
    rep = _report(world, 1)
    balance = rep.figure("balance_sectors")
    assert _row(balance, "education")[:2] == ["5", "100%"]  # school originated all five
    assert _row(balance, "mental_health")[2:4] == ["5", "100%"]  # CMHA led all five
    assert _row(balance, "housing")[4:6] == ["5", "100%"]  # housing assisted all five
    indicators = {i.key: i for i in rep.indicators}
    led = indicators["balance.led.mental_health"]
    assert (led.target, led.met, led.share.text) == (50, False, "100%")  # target missed
    assert indicators["time.hours_to_decision"].share.text == "100%"
    assert indicators["risk_sustained"].share.text == "50%"
    assert _row(rep.figure("follow_up"), "yes") == ["1"]
    race = rep.figure("equity_self_race")
    assert _row(race, "black") == ["2", "2"] and _row(race, "no_answer") == ["1", "1"]
    rows = list(aggregate_rows(rep))
    keys = {r[1] for r in rows}
    assert {"balance_sectors", "follow_up", "equity_self_race", "risk_sustained",
            "balance.led.mental_health"} <= keys
    assert ("indicator", "balance.led.mental_health") in {r[:2] for r in rows}


def test_with_the_default_threshold_nothing_small_is_printed(world):
    rep = _report(world, 5)
    race = rep.figure("equity_self_race")
    assert _row(race, "black") == ["<5", "<5"]
    assert _row(rep.figure("follow_up"), "yes") == ["<5"]
    indicators = {i.key: i for i in rep.indicators}
    assert indicators["risk_sustained"].share.value is None
    # five of five is not a small count: the missed target still shows
    assert indicators["balance.led.mental_health"].met is False
    for fig in (*rep.figures, *rep.equity):
        for row in fig.rows + ([fig.total] if fig.total else []):
            for cell in row["cells"]:
                if isinstance(cell.value, int):
                    assert cell.value == 0 or cell.value >= 5, (fig.key, row["code"])


def test_equity_answers_are_optional_consented_and_the_presenting_agencys_own(world):
    sid = world.sids[2]  # still open
    with world.runtime.command() as s:
        with pytest.raises(ValidationError, match="consent"):
            equity.record(s, world.user(s, "school"), sid, {"race": "white"}, consent=False)
        with pytest.raises(ValidationError, match="unknown answer"):
            equity.record(s, world.user(s, "school"), sid, {"race": "martian"}, consent=True)
        for other in ("cmha", "chair", "manager"):
            with pytest.raises(PermissionDenied):
                equity.mine(s, world.user(s, other), sid)
        assert [a.value for a in equity.mine(s, world.user(s, "school"), sid)] == ["prefer_not"]


@pytest.mark.parametrize("count", [5, 4])
def test_time_medians_from_the_histogram_equal_pythons(world, count):
    """The database's {microseconds: situations} histogram gives the very medians and
    within-target counts Python's timedelta arithmetic over every row gave (bit for bit)."""
    from collections import Counter
    from statistics import median

    from workflow.reports.balance import _hours, median_hours
    from workflow.reports.durations import micros_histogram

    sids = world.sids[:count]
    deltas = [timedelta(hours=47, minutes=59, seconds=59, microseconds=999_999),
              timedelta(hours=3, microseconds=1), timedelta(days=2, microseconds=123_457),
              timedelta(hours=3, microseconds=1), timedelta(minutes=7, seconds=13)][:count]
    with world.runtime.command() as s:
        for sid, delta in zip(sids, deltas, strict=True):
            situation = s.get(Situation, sid)
            situation.decided_at = situation.submitted_at + delta
    with world.runtime.read() as s:
        hist = micros_histogram(s, Situation.decided_at, Situation.submitted_at,
                                Situation.id.in_(sids))
        pairs = [(x.submitted_at, x.decided_at) for x in (s.get(Situation, i) for i in sids)]
    python_hours = [(b - a).total_seconds() / 3600 for a, b in pairs]
    assert hist == Counter(d // timedelta(microseconds=1) for d in deltas)
    assert median_hours(hist) == median(python_hours)
    assert (sum(k for m, k in hist.items() if _hours(m) <= 48)
            == sum(1 for h in python_hours if h <= 48))
    assert sorted(_hours(m) for m, k in hist.items() for _ in range(k)) == sorted(python_hours)
    # The report's own (one-scan) histograms: 4 of the 5 within 48 hours, then the median.
    rep = _report(world, 1)
    assert {i.key: i for i in rep.indicators}["time.hours_to_decision"].share.text == "80%"
    with world.runtime.command() as s:
        s.execute(update(Table).where(Table.id == world.table_id).values(targets={}))
        every = [(x.decided_at - x.submitted_at).total_seconds() / 3600
                 for x in (s.get(Situation, i) for i in world.sids)]
    indicator = {i.key: i for i in _report(world, 1).indicators}["time.hours_to_decision"]
    assert indicator.share.text == f"{round(median(every), 1):g} h median"
