"""Every disclosure names its legal basis: the person's consent, or an authority of the pack."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from support.factories import build_world, filter1, open_meeting, submitted

from rules.loader import check_pack
from workflow import interventions, meetings, situations
from workflow.errors import ValidationError
from workflow.models import DisclosureGrant, Situation, Table, utcnow
from workflow.reports import build_report, parse_period, resolve_scope


@pytest.fixture
def accepted(runtime):
    world = build_world(runtime)
    consented = submitted(world, consent="given")
    other = submitted(world)  # consent "not_possible"
    mid = open_meeting(world)
    with runtime.command() as s:
        chair = world.user(s, "chair")
        for sid in (consented, other):
            situations.accept(s, chair, sid, mid)
    return world, consented, other, mid


def test_a_grant_without_a_basis_is_refused_and_nothing_changes(accepted, runtime):
    world, _consented, other, mid = accepted
    for basis, message in ((None, "record the legal basis"), ("", "record the legal basis"),
                           ("gut_feeling", "unknown legal basis"),
                           ("consent", "consent was not recorded as given")):
        with pytest.raises(ValidationError, match=message) as err, runtime.command() as s:
            interventions.disclose(s, world.user(s, "chair"), other, [world.agencies["cmha"]],
                                   basis=basis, meeting_id=mid)
        assert err.value.field == "legal_basis"
    with runtime.read() as s:
        assert s.query(DisclosureGrant).count() == 0
        assert s.get(Situation, other).stage == "accepted"


def test_the_basis_is_kept_on_each_grant_in_the_audit_and_the_minutes(accepted, runtime):
    world, consented, other, mid = accepted
    with runtime.command() as s:
        chair = world.user(s, "chair")
        interventions.disclose(s, chair, consented, [world.agencies["cmha"]], basis="consent",
                               meeting_id=mid)
        interventions.disclose(s, chair, other, [world.agencies["housing"]],
                               basis="cyfsa_125", meeting_id=mid)
    with runtime.read() as s:
        bases = {(g.situation_id, g.legal_basis) for g in s.query(DisclosureGrant)}
        assert bases == {(consented, "consent"), (other, "cyfsa_125")}
        minutes = meetings.minutes(s, world.user(s, "chair"), mid)
        assert sorted(b for _ref, _agency, b in minutes.disclosures) == ["consent", "cyfsa_125"]


def test_reports_show_disclosures_by_basis_suppressed_like_every_figure(accepted, runtime):
    world, consented, other, mid = accepted
    with runtime.command() as s:
        chair = world.user(s, "chair")
        interventions.disclose(s, chair, consented, [world.agencies["cmha"]], basis="consent",
                               meeting_id=mid)
        interventions.disclose(s, chair, other, [world.agencies["housing"],
                                                 world.agencies["cmha"]],
                               basis="phipa_40_1", meeting_id=mid)
    today = utcnow().date()

    def figure(threshold: int):
        with runtime.command() as s:
            s.get(Table, world.table_id).small_cell_threshold = threshold
        with runtime.read() as s:
            period = parse_period(date(today.year - 1, 1, 1).isoformat(),
                                  (today + timedelta(days=1)).isoformat())
            scope = resolve_scope(s, period, table="PEEL")
            report = build_report(s, scope)
        return next(f for f in report.figures if f.key == "disclosure_bases")

    open_figure = figure(1)
    cells = {r["code"]: [c.text for c in r["cells"]] for r in open_figure.rows}
    assert cells["consent"] == ["1", "33%"]
    assert cells["phipa_40_1"] == ["2", "67%"]
    assert open_figure.total["cells"][0].text == "3"
    hidden = figure(5)
    assert {r["code"]: r["cells"][0].text for r in hidden.rows}["consent"] == "<5"
    assert all(r["cells"][1].text == "" for r in hidden.rows)


def test_rules_check_refuses_a_malformed_legal_bases_section():
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "rules/packs/ontario.yaml").read_text()
    broken = source.replace("  - code: mfippa_32_h\n    kind: authority",
                            "  - code: phipa_40_1\n    kind: consent", 1)
    messages = " ".join(p.message for p in check_pack(broken, source_name="broken"))
    assert "appears twice" in messages
    assert check_pack(source, source_name="ok") == []


def test_vietnamese_tables_have_their_own_authorities(runtime):
    world = build_world(runtime, country="VN", pack="vn-gbv-child-protection")
    sid = submitted(world, **_child())
    mid = open_meeting(world)
    with runtime.command() as s:
        chair = world.user(s, "chair")
        situations.accept(s, chair, sid, mid)
        with pytest.raises(ValidationError):
            interventions.disclose(s, chair, sid, [world.agencies["cas"]], basis="phipa_40_1",
                                   meeting_id=mid)
    with runtime.command() as s:
        interventions.disclose(s, world.user(s, "chair"), sid, [world.agencies["cas"]],
                               basis="child_law_2016", meeting_id=mid)


def _child() -> dict:
    return {"age_group": filter1().age_group}
