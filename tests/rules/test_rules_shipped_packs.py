"""The shipped packs load cleanly and say what DOMAIN.md says they say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from rules import (
    Deadline,
    Escalate,
    Notify,
    check_pack,
    evaluate,
    load_shipped_pack,
    score,
    shipped_pack_names,
)
from rules.loader import PACKS_DIR

ROOT = Path(__file__).resolve().parents[2]
FILTER1_OK = {
    "risk_factor_count": 3,
    "options_exhausted": True,
    "needs_multiple_agencies": True,
    "harm_probable_imminent": True,
}


def test_shipped_pack_names():
    assert {"ontario", "vietnam"} <= set(shipped_pack_names())
    with pytest.raises(ValueError, match="ontario"):
        load_shipped_pack("atlantis")


@pytest.mark.parametrize("name", ["ontario", "vietnam"])
def test_shipped_packs_have_no_problems(name):
    assert check_pack(PACKS_DIR / f"{name}.yaml") == []
    pack = load_shipped_pack(name)
    assert pack.version == {"ontario": "1.1", "vietnam": "1.2"}[name]
    assert load_shipped_pack(name) is pack  # cached


@pytest.mark.parametrize("name", ["ontario", "vietnam"])
def test_every_text_is_in_english_and_vietnamese(name):
    pack = load_shipped_pack(name)
    texts = [pack.labels]
    for rule in pack.rules:
        texts.append(rule.labels)
        for action in rule.actions:
            for attr in ("message", "label"):
                if hasattr(action, attr):
                    texts.append(getattr(action, attr))
    if pack.screening:
        texts.extend(q.text for q in pack.screening.questions)
    for label in texts:
        assert label.en.strip() and label.vi.strip()
        assert label.en != label.vi
        assert re.search(r"[^\x00-\x7f]", label.vi), f"no Vietnamese diacritics: {label.vi!r}"


@pytest.mark.parametrize("name", ["ontario", "vietnam"])
def test_factor_codes_in_packs_exist_in_the_taxonomy(name):
    taxonomy = ROOT / "workflow" / "reference" / "taxonomy.yaml"
    assert taxonomy.exists(), taxonomy  # a moved taxonomy must fail here, not skip
    data = yaml.safe_load(taxonomy.read_text(encoding="utf-8"))
    codes = {f["code"] for c in data["categories"] for f in c.get("factors", [])}
    text = (PACKS_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    used = set(re.findall(r'"([a-z_]+\.[a-z0-9_]+)" in (?:risk_factors|aer_reasons)', text))
    assert used <= codes
    if name == "vietnam":
        assert "parenting.neglect" in used


# --- Ontario ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ontario():
    return load_shipped_pack("ontario")


def test_ontario_identity(ontario):
    assert ontario.name == "ontario-four-filter"
    assert (ontario.country, ontario.subdivision) == ("CA", "ON")
    assert ontario.settings["quorum_sectors"] == 3


def test_ontario_submit_guards(ontario):
    assert evaluate(ontario, "submit", FILTER1_OK).allowed
    too_few = evaluate(ontario, "submit", {**FILTER1_OK, "risk_factor_count": 1})
    assert [m.en for m in too_few.guard_failures][0].startswith("Record at least two")
    for item in ("options_exhausted", "needs_multiple_agencies", "harm_probable_imminent"):
        refused = evaluate(ontario, "submit", {**FILTER1_OK, item: False})
        assert len(refused.guard_failures) == 1
        assert "Filter 1" in refused.guard_failures[0].en
        assert "Bộ lọc 1" in refused.guard_failures[0].vi


@pytest.mark.parametrize("command", ["accept", "reject"])
def test_ontario_quorum(ontario, command):
    assert not evaluate(ontario, command, {"sectors_present_count": 2}).allowed
    assert evaluate(ontario, command, {"sectors_present_count": 3}).allowed


def test_ontario_accept_sets_first_contact(ontario):
    result = evaluate(ontario, "accept", {"sectors_present_count": 4})
    assert Deadline(kind="first_contact", business_days=2) in result.deadlines


def test_ontario_report_back_deadline(ontario):
    for trigger in ("enter:intervention", "report_back"):
        result = evaluate(ontario, trigger, {})
        assert result.deadlines == (Deadline(kind="report_back", business_days=5),)


def test_ontario_notifications(ontario):
    assert evaluate(ontario, "enter:submitted", {}).notifications == (
        Notify(to="chair", event="situation_submitted"),
    )
    assert evaluate(ontario, "disclose", {}).notifications == (
        Notify(to="granted", event="disclosure_granted"),
    )
    assert {n.to for n in evaluate(ontario, "plan", {}).notifications} == {"lead", "assisting"}


def test_ontario_close_guard(ontario):
    assert not evaluate(ontario, "close", {"tasks_unexplained": 1}).allowed
    assert evaluate(ontario, "close", {"tasks_unexplained": 0, "open_tasks": 2}).allowed


def test_ontario_open_meetings_flag(ontario):
    assert not evaluate(ontario, "timer:open_meetings", {"meetings_open": 4}).flags
    (flag,) = evaluate(ontario, "timer:open_meetings", {"meetings_open": 5}).flags
    assert flag.code == "open_more_than_4_meetings"


@pytest.mark.parametrize("trigger", ["re_present", "submit"])
def test_ontario_re_presentation(ontario, trigger):
    def flags(days):
        facts = {**FILTER1_OK, "is_re_presentation": True, "days_since_previous": days}
        return evaluate(ontario, trigger, facts)

    within = flags(200)
    assert [f.code for f in within.flags] == ["re_presented_12_months"]
    assert Notify(to="chair", event="situation_re_presented") in within.notifications
    assert not flags(365.5).flags
    assert not flags(-1).flags


def test_ontario_escalates_overdue_first_contact(ontario):
    result = evaluate(ontario, "timer:deadline_passed", {}, deadline_kind="first_contact")
    assert len(result.escalations) == 1
    assert isinstance(result.escalations[0], Escalate) and result.escalations[0].to == "chair"
    other = evaluate(ontario, "timer:deadline_passed", {}, deadline_kind="report_back")
    assert other.escalations == ()


@pytest.mark.parametrize(
    "facts,expected,absent",
    [
        ({"risk_categories": ["suicide"]}, {"mental_health"}, {"child_protection"}),
        ({"risk_categories": ["missing_school"]}, {"education"}, set()),
        ({"risk_categories": ["drugs"]}, {"mental_health", "health"}, set()),
        ({"risk_categories": ["housing"]}, {"housing"}, set()),
        ({"risk_categories": ["criminal_involvement"]}, {"police", "justice"}, set()),
        ({"risk_categories": ["poverty"]}, {"social_services"}, set()),
        ({"is_child": True, "risk_categories": ["parenting"]}, {"child_protection"}, set()),
        ({"is_child": False, "risk_categories": ["parenting"]}, set(), {"child_protection"}),
    ],
)
def test_ontario_suggestions(ontario, facts, expected, absent):
    for trigger in ("disclose", "plan"):
        sectors = set(evaluate(ontario, trigger, facts).suggested_sectors)
        assert expected <= sectors
        assert not absent & sectors


# --- Viet Nam ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def vietnam():
    return load_shipped_pack("vietnam")


CHILD_ABUSE = {
    **FILTER1_OK,
    "is_child": True,
    "is_minor": True,
    "risk_categories": ["physical_violence", "housing"],
    "risk_factors": ["physical_violence.person_victim", "housing.transient"],
}


def test_vietnam_identity(vietnam):
    assert vietnam.name == "vn-gbv-child-protection"
    assert vietnam.country == "VN" and vietnam.subdivision is None


def test_vietnam_child_abuse_on_submit(vietnam):
    result = evaluate(vietnam, "submit", CHILD_ABUSE)
    assert result.allowed
    assert "duty_to_report" in {f.code for f in result.flags}
    assert Notify(to="sector:child_protection", event="child_at_risk_reported") in (
        result.notifications
    )
    assert Deadline(kind="emergency_protection", hours=12.0) in result.deadlines


@pytest.mark.parametrize(
    "change",
    [
        {"risk_categories": ["parenting"], "risk_factors": ["parenting.neglect"]},
        {"risk_categories": ["supervision"], "risk_factors": ["supervision.inadequate"]},
        {"risk_categories": ["sexual_violence"]},
    ],
)
def test_vietnam_neglect_also_raises_duty(vietnam, change):
    result = evaluate(vietnam, "submit", {**CHILD_ABUSE, **change})
    assert "duty_to_report" in {f.code for f in result.flags}


def test_vietnam_adult_or_refused_submit_raises_no_duty(vietnam):
    adult = evaluate(vietnam, "submit", {**CHILD_ABUSE, "is_child": False})
    assert "duty_to_report" not in {f.code for f in adult.flags}
    assert not adult.deadlines
    refused = evaluate(vietnam, "submit", {**CHILD_ABUSE, "harm_probable_imminent": False})
    assert not refused.allowed and not refused.flags and not refused.notifications


def test_vietnam_support_plan(vietnam):
    result = evaluate(vietnam, "accept", {"sectors_present_count": 3})
    assert Deadline(kind="support_plan", business_days=5) in result.deadlines
    assert not evaluate(vietnam, "accept", {"sectors_present_count": 2}).allowed


def test_vietnam_screening(vietnam):
    screening = vietnam.screening
    assert screening is not None and screening.threshold == 14
    assert 15 <= len(screening.questions) <= 20
    ids = screening.question_ids
    answers = {qid: i < 14 for i, qid in enumerate(ids)}
    assert score(screening, answers) == 14
    high = evaluate(vietnam, "submit", {**FILTER1_OK, "screening_score": 14})
    assert "high_risk_screening" in {f.code for f in high.flags}
    low = evaluate(vietnam, "submit", {**FILTER1_OK, "screening_score": 13})
    assert "high_risk_screening" not in {f.code for f in low.flags}


def test_vietnam_overdue_emergency_protection(vietnam):
    result = evaluate(vietnam, "timer:deadline_passed", {}, deadline_kind="emergency_protection")
    assert result.escalations and result.escalations[0].to == "chair"
    assert any(n.to == "sector:child_protection" for n in result.notifications)
    soon = evaluate(
        vietnam, "timer:due_soon", {}, deadline_kind="emergency_protection", hours_remaining=2
    )
    assert soon.notifications
    later = evaluate(
        vietnam, "timer:due_soon", {}, deadline_kind="emergency_protection", hours_remaining=6
    )
    assert not later.notifications


def test_vietnam_suggestions(vietnam):
    child = set(evaluate(vietnam, "plan", CHILD_ABUSE).suggested_sectors)
    assert {"child_protection", "hotline", "social_services", "police"} <= child
    woman = set(
        evaluate(
            vietnam,
            "plan",
            {"gender": "female", "risk_categories": ["emotional_violence"]},
        ).suggested_sectors
    )
    assert {"womens_organisation", "hotline"} <= woman
    youth_facts = {"is_minor": True, "risk_categories": ["gangs"]}
    youth = set(evaluate(vietnam, "plan", youth_facts).suggested_sectors)
    assert "youth_services" in youth
    poor = set(evaluate(vietnam, "disclose", {"risk_categories": ["poverty"]}).suggested_sectors)
    assert {"social_services", "local_government"} <= poor
