"""Every figure of the report against the hand-built data set (tests/reports/dataset.py),
on SQLite and on PostgreSQL, with suppression off (threshold 1) so the raw counts show."""

from __future__ import annotations

from reports.helpers import grid, report


def test_decisions_count_the_situations_presented_in_the_period(world, dataset):
    rep = report(world)
    assert grid(rep, "decisions") == {"accepted": ["4"], "rejected": ["2"], "undecided": ["2"],
                                      "total": ["8"]}
    assert grid(rep, "rejection_reasons") == {"not_aer": ["1"], "other": ["1"], "total": ["2"]}


def test_breakdowns_by_age_group_gender_and_type_split_each_decision(world, dataset):
    rep = report(world)
    assert grid(rep, "age_group") == {
        "12-15": ["2", "0", "0", "2"], "18-24": ["0", "1", "0", "1"],
        "25-29": ["2", "0", "0", "2"], "30-39": ["0", "0", "1", "1"],
        "40-59": ["0", "0", "1", "1"], "60+": ["0", "1", "0", "1"],
        "total": ["4", "2", "2", "8"]}
    assert grid(rep, "gender") == {
        "female": ["3", "0", "1", "4"], "male": ["1", "1", "0", "2"],
        "other": ["0", "0", "1", "1"], "unknown": ["0", "1", "0", "1"],
        "total": ["4", "2", "2", "8"]}
    assert grid(rep, "situation_type") == {
        "person": ["3", "1", "2", "6"], "family": ["1", "0", "0", "1"],
        "dwelling": ["0", "1", "0", "1"], "total": ["4", "2", "2", "8"]}


def test_re_presentations_are_situations_linked_to_an_earlier_one(world, dataset):
    assert grid(report(world), "re_presented") == {
        "0": ["4", "1", "2", "7"], "1": ["0", "1", "0", "1"], "total": ["4", "2", "2", "8"]}


def test_agency_sectors_originating_lead_and_assisting(world, dataset):
    rep = report(world)
    assert grid(rep, "origin_sector") == {
        "police": ["1", "1", "0", "2"], "education": ["2", "1", "2", "5"],
        "health": ["1", "0", "0", "1"], "total": ["4", "2", "2", "8"]}
    assert grid(rep, "lead_sectors") == {"mental_health": ["2"], "housing": ["1"],
                                         "no_lead": ["1"], "total": ["4"]}
    assert grid(rep, "assisting_sectors") == {"education": ["1"], "housing": ["2"]}


def test_risk_factor_categories_and_most_frequent_factors_of_accepted_situations(world,
                                                                                 dataset):
    rep = report(world)
    assert grid(rep, "risk_categories") == {"drugs": ["2"], "mental_health": ["2"],
                                            "housing": ["2"]}
    # R1 (rejected) also has housing.transient: only accepted situations count.
    assert grid(rep, "top_factors") == {"drugs.person_use": ["2"], "housing.transient": ["2"],
                                        "mental_health.diagnosed": ["2"]}


def test_conclusions_and_outcomes_of_situations_closed_in_the_period(world, dataset):
    rep = report(world)
    # P1 was presented in 2025 but closed in January; W1 (withdrawn) is no conclusion.
    assert grid(rep, "outcomes") == {"risk_lowered": ["1"], "still_aer": ["1"],
                                     "transferred": ["1"], "total": ["3"]}
    assert grid(rep, "conclusions") == {"lowered_connected": ["1"], "still_aer_refused": ["1"],
                                        "transferred": ["1"], "total": ["3"]}


def test_trends_by_month(world, dataset):
    assert grid(report(world), "trends") == {
        "2026-01": ["4", "2", "1", "1", "2"], "2026-02": ["4", "2", "1", "1", "1"],
        "total": ["8", "4", "2", "2", "3"]}


def test_help_sources_for_the_vietnam_indicator(world, dataset):
    assert grid(report(world), "help_source") == {
        "hotline_111": ["1", "0", "0", "1"], "police": ["0", "0", "1", "1"],
        "not_recorded": ["3", "2", "1", "6"], "total": ["4", "2", "2", "8"]}


def test_median_and_90th_percentile_of_times(world, dataset):
    stats = {s.key: s for s in report(world).statistics}
    contact = stats["to_first_contact"]   # 24 h, 36 h, 72 h
    assert (contact.count.value, contact.median, contact.p90) == (3, 36.0, 64.8)
    closure = stats["to_closure"]         # 15, 21 and 29 days
    assert (closure.count.value, closure.median, closure.p90) == (3, 21.0, 27.4)


def test_plan_indicators_against_targets(world, dataset):
    ind = {i.key: i for i in report(world).indicators}
    # A1 (service and contact), A2 (contact), A3 (contact) got help; A4 nothing yet.
    assert (ind["received_help"].share.value, ind["received_help"].target,
            ind["received_help"].met) == (75.0, 100.0, False)
    # A1 and A3 on time, A2 late; A4 has no due date.
    assert ind["first_contact_on_time"].share.value == 66.7
    assert ind["risk_lowered"].share.value == 33.3


def test_targets_come_from_the_table(world, dataset):
    from sqlalchemy import update

    from workflow.models import Table

    with world.runtime.command() as s:
        s.execute(update(Table).where(Table.id == world.table_id).values(
            targets={"received_help": 70, "risk_lowered": 30}))
    ind = {i.key: i for i in report(world).indicators}
    assert (ind["received_help"].target, ind["received_help"].met) == (70.0, True)
    assert (ind["risk_lowered"].target, ind["risk_lowered"].met) == (30.0, True)
    assert ind["first_contact_on_time"].target is None


def test_equity_lens_splits_indicators_by_age_group_and_gender(world, dataset):
    rep = report(world)
    assert grid(rep, "equity_age_group") == {
        "12-15": ["2", "100%", "50%", "2", "50%"],
        "16-17": ["0", "no data", "no data", "1", "0%"],
        "25-29": ["2", "50%", "100%", "0", "no data"],
        "total": ["4", "75%", "66.7%", "3", "33.3%"]}
    assert grid(rep, "equity_gender") == {
        "female": ["3", "66.7%", "100%", "1", "100%"],
        "male": ["1", "100%", "0%", "2", "0%"],
        "total": ["4", "75%", "66.7%", "3", "33.3%"]}


def test_a_region_covers_its_tables_and_only_them(world, dataset):
    from sqlalchemy import update

    from workflow.models import Table

    with world.runtime.command() as s:
        s.execute(update(Table).values(region="Peel", small_cell_threshold=1))
    rep = report(world, table=None, region="Peel")
    assert rep.scope["tables"] == ["OTHER", "PEEL"]
    assert grid(rep, "decisions")["accepted"] == ["5"]   # X1 at the other table joins in


def test_the_period_is_half_open(world, dataset):
    # L1 was presented on 2026-03-01: outside [Jan 1, Mar 1), inside [Jan 1, Mar 2).
    assert grid(report(world, end="2026-03-02"), "decisions")["accepted"] == ["5"]
    assert grid(report(world, start="2026-02-01"), "decisions") == {
        "accepted": ["2"], "rejected": ["1"], "undecided": ["1"], "total": ["4"]}


def test_a_situation_with_two_factors_of_one_category_counts_once_in_it(world, dataset):
    from reports.dataset import _situation, t

    with world.runtime.command() as s:
        _situation(s, world, origin="school", age_group="12-15", gender="female",
                   presented_at=t(2, 20), decided_at=t(2, 20), accepted_at=t(2, 20),
                   factors=["mental_health.diagnosed", "mental_health.suspected"])
    rep = report(world)
    assert grid(rep, "risk_categories")["mental_health"] == ["3"]      # A1, A2 and this one
    top = grid(rep, "top_factors")
    assert top["mental_health.diagnosed"] == ["3"] and top["mental_health.suspected"] == ["1"]
    assert list(top)[0] == "mental_health.diagnosed"                    # most frequent first
