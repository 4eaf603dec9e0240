"""Every trigger type and every action type, on small packs written inline."""

from __future__ import annotations

import pytest

from rules import (
    Deadline,
    Escalate,
    FactsError,
    Flag,
    Notify,
    UnknownTriggerError,
    evaluate,
)
from rules.vocabulary import COMMANDS, STAGES, TIMERS, TRIGGERS

ALL_TRIGGERS = list(COMMANDS) + [f"enter:{s}" for s in STAGES] + list(TIMERS)


def test_trigger_list_is_complete():
    assert set(ALL_TRIGGERS) == set(TRIGGERS)
    assert len(ALL_TRIGGERS) == 10 + 10 + 4


@pytest.fixture
def one_rule_per_trigger(make_pack):
    rules = "\n".join(
        f"""
- id: r{i}
  labels: {{en: "rule for {t}", vi: "quy tắc cho {t}"}}
  trigger: "{t}"
  {"within_hours: 1" if t == "timer:due_soon" else ""}
  actions:
    - {{type: notify, to: chair, event: ev{i}}}
"""
        for i, t in enumerate(ALL_TRIGGERS)
    )
    return make_pack(rules)


@pytest.mark.parametrize("index,trigger", list(enumerate(ALL_TRIGGERS)))
def test_each_trigger_fires_only_its_rules(one_rule_per_trigger, index, trigger):
    result = evaluate(one_rule_per_trigger, trigger, {})
    assert [o.rule.id for o in result.fired] == [f"r{index}"]
    assert result.notifications == (Notify(to="chair", event=f"ev{index}"),)
    assert result.trigger == trigger


def test_unknown_trigger_is_a_caller_error(one_rule_per_trigger):
    with pytest.raises(UnknownTriggerError, match="submit"):
        evaluate(one_rule_per_trigger, "submitt", {})


def test_rule_with_several_triggers(make_pack):
    pack = make_pack(
        """
        - id: quorum
          labels: {en: Quorum, vi: Đủ thành phần}
          trigger: [accept, reject]
          when: sectors_present_count < 3
          actions:
            - type: guard
              message: {en: No quorum, vi: Chưa đủ thành phần}
        """
    )
    for trigger in ("accept", "reject"):
        assert not evaluate(pack, trigger, {"sectors_present_count": 2}).allowed
        assert evaluate(pack, trigger, {"sectors_present_count": 3}).allowed
    assert evaluate(pack, "present", {"sectors_present_count": 0}).allowed


# --- guard ---------------------------------------------------------------------------------
@pytest.fixture
def guarded(make_pack):
    return make_pack(
        """
        - id: min_factors
          labels: {en: Two factors, vi: Hai yếu tố}
          trigger: submit
          when: risk_factor_count < 2
          actions:
            - type: guard
              message: {en: Record two risk factors, vi: Ghi nhận hai yếu tố nguy cơ}
        - id: tell_chair
          labels: {en: Tell chair, vi: Báo chủ tọa}
          trigger: submit
          actions:
            - {type: notify, to: chair, event: submitted}
        """
    )


def test_guard_refuses_when_condition_holds(guarded):
    result = evaluate(guarded, "submit", {"risk_factor_count": 1})
    assert not result.allowed
    assert [m.en for m in result.guard_failures] == ["Record two risk factors"]
    assert result.guard_failures[0].get("vi") == "Ghi nhận hai yếu tố nguy cơ"
    assert result.refusing_rules == ("min_factors",)
    # a refused command does not run, so its after-actions are not returned
    assert result.notifications == ()


def test_guard_passes_and_after_actions_apply(guarded):
    result = evaluate(guarded, "submit", {"risk_factor_count": 2})
    assert result.allowed
    assert result.guard_failures == ()
    assert result.notifications == (Notify(to="chair", event="submitted"),)


def test_guard_that_cannot_be_evaluated_refuses(make_pack):
    pack = make_pack(
        """
        - id: first_factor
          labels: {en: First factor, vi: Yếu tố đầu tiên}
          trigger: submit
          when: risk_factors[0] == "housing.transient"
          actions:
            - type: guard
              message: {en: refused, vi: từ chối}
        """
    )
    result = evaluate(pack, "submit", {"risk_factors": []})
    assert not result.allowed
    assert result.errors and "first_factor" in result.errors[0]
    assert "could not be evaluated" in result.outcomes[0].explanation


def test_non_guard_rule_that_cannot_be_evaluated_does_not_fire(make_pack):
    pack = make_pack(
        """
        - id: ratio
          labels: {en: Ratio, vi: Tỉ lệ}
          trigger: timer:open_meetings
          when: days_open / meetings_open > 10
          actions:
            - type: flag
              code: slow
              label: {en: Slow, vi: Chậm}
        """
    )
    result = evaluate(pack, "timer:open_meetings", {"days_open": 30, "meetings_open": 0})
    assert result.flags == ()
    assert len(result.errors) == 1
    assert evaluate(pack, "timer:open_meetings", {"days_open": 30, "meetings_open": 2}).flags


# --- deadline ------------------------------------------------------------------------------
def test_deadline_actions(make_pack):
    pack = make_pack(
        """
        - id: clocks
          labels: {en: Clocks, vi: Thời hạn}
          trigger: accept
          actions:
            - {type: deadline, kind: first_contact, business_days: 2}
            - {type: deadline, kind: emergency_protection, hours: 12}
            - {type: deadline, kind: support_plan, hours: 1.5, from: now}
        """
    )
    result = evaluate(pack, "accept", {})
    assert result.deadlines == (
        Deadline(kind="first_contact", business_days=2),
        Deadline(kind="emergency_protection", hours=12.0),
        Deadline(kind="support_plan", hours=1.5, from_="now"),
    )
    assert result.deadlines[0].as_dict() == {
        "type": "deadline",
        "kind": "first_contact",
        "from": "trigger",
        "business_days": 2,
    }


# --- notify --------------------------------------------------------------------------------
def test_notify_every_audience(make_pack):
    audiences = [
        "lead",
        "assisting",
        "granted",
        "chair",
        "originating",
        "members",
        "sector:child_protection",
        "agency:city-police",
    ]
    actions = "\n".join(
        f'    - {{type: notify, to: "{a}", event: ev_{i}}}' for i, a in enumerate(audiences)
    )
    pack = make_pack(
        f"""
- id: all
  labels: {{en: All, vi: Tất cả}}
  trigger: plan
  actions:
{actions}
"""
    )
    result = evaluate(pack, "plan", {})
    assert [n.to for n in result.notifications] == audiences
    assert result.notifications[6].as_dict() == {
        "type": "notify",
        "to": "sector:child_protection",
        "event": "ev_6",
    }


def test_same_notification_from_two_rules_is_sent_once(make_pack):
    pack = make_pack(
        """
        - id: a
          labels: {en: A, vi: A}
          trigger: disclose
          actions: [{type: notify, to: granted, event: disclosed}]
        - id: b
          labels: {en: B, vi: B}
          trigger: disclose
          actions: [{type: notify, to: granted, event: disclosed}]
        """
    )
    result = evaluate(pack, "disclose", {})
    assert len(result.fired) == 2
    assert result.notifications == (Notify(to="granted", event="disclosed"),)


# --- suggest -------------------------------------------------------------------------------
def test_suggest_rules_and_table(make_pack):
    pack = make_pack(
        """
        - id: child
          labels: {en: Child, vi: Trẻ em}
          trigger: [accept, plan]
          when: is_child and "parenting" in risk_categories
          actions:
            - {type: suggest, sectors: [child_protection, mental_health]}
        """,
        extra="""
        suggest:
          on: [accept]
          categories:
            mental_health: [mental_health]
            housing: [housing, social_services]
        """,
    )
    facts = {"is_child": True, "risk_categories": ["parenting", "housing", "mental_health"]}
    result = evaluate(pack, "accept", facts)
    assert result.suggested_sectors == (
        "child_protection",
        "mental_health",
        "housing",
        "social_services",
    )
    assert pack.suggest["housing"] == ("housing", "social_services")
    assert evaluate(pack, "plan", facts).suggested_sectors == ("child_protection", "mental_health")
    adult = evaluate(pack, "accept", {"risk_categories": ["parenting"]})
    assert adult.suggested_sectors == ()


# --- flag ----------------------------------------------------------------------------------
def test_flag_dedupes_by_code(make_pack):
    pack = make_pack(
        """
        - id: one
          labels: {en: One, vi: Một}
          trigger: submit
          when: is_re_presentation
          actions:
            - type: flag
              code: re_presented
              label: {en: Re-presented, vi: Trình bày lại}
        - id: two
          labels: {en: Two, vi: Hai}
          trigger: submit
          when: days_since_previous >= 0
          actions:
            - type: flag
              code: re_presented
              label: {en: Again, vi: Lần nữa}
        """
    )
    result = evaluate(pack, "submit", {"is_re_presentation": True, "days_since_previous": 10})
    assert result.flags == (Flag(code="re_presented", label=result.flags[0].label),)
    assert result.flags[0].label.en == "Re-presented"
    assert evaluate(pack, "submit", {}).flags == ()


# --- escalate ------------------------------------------------------------------------------
def test_escalate(make_pack):
    pack = make_pack(
        """
        - id: overdue
          labels: {en: Overdue, vi: Quá hạn}
          trigger: timer:deadline_passed
          deadline: first_contact
          actions:
            - type: escalate
              to: chair
              message: {en: First contact overdue, vi: Tiếp cận lần đầu quá hạn}
        """
    )
    result = evaluate(pack, "timer:deadline_passed", {}, deadline_kind="first_contact")
    assert len(result.escalations) == 1
    escalation = result.escalations[0]
    assert isinstance(escalation, Escalate)
    assert escalation.to == "chair"
    assert escalation.message.vi == "Tiếp cận lần đầu quá hạn"
    assert escalation.as_dict()["message"]["en"] == "First contact overdue"


# --- timers --------------------------------------------------------------------------------
def test_deadline_passed_matches_the_kind(make_pack):
    pack = make_pack(
        """
        - id: fc
          labels: {en: FC, vi: FC}
          trigger: timer:deadline_passed
          deadline: first_contact
          actions: [{type: notify, to: chair, event: fc_overdue}]
        - id: any
          labels: {en: Any, vi: Bất kỳ}
          trigger: timer:deadline_passed
          actions: [{type: notify, to: lead, event: overdue}]
        """
    )
    fired = evaluate(pack, "timer:deadline_passed", {}, deadline_kind="first_contact").fired
    assert [o.rule.id for o in fired] == ["fc", "any"]
    fired = evaluate(pack, "timer:deadline_passed", {}, deadline_kind="report_back").fired
    assert [o.rule.id for o in fired] == ["any"]


def test_due_soon_respects_within_hours(make_pack):
    pack = make_pack(
        """
        - id: soon
          labels: {en: Soon, vi: Sắp đến hạn}
          trigger: timer:due_soon
          deadline: support_plan
          within_hours: 24
          actions: [{type: notify, to: lead, event: due_soon}]
        """,
        extra="""
        settings:
          unused: 1
        """,
    )

    def fired(hours):
        return evaluate(
            pack, "timer:due_soon", {}, deadline_kind="support_plan", hours_remaining=hours
        ).fired

    assert fired(5)
    assert fired(24)
    assert not fired(30)
    assert not evaluate(pack, "timer:due_soon", {}, deadline_kind="first_contact").fired
    assert pack.due_soon_windows() == {"support_plan": 24.0}


def test_open_meetings_timer_with_setting(make_pack):
    pack = make_pack(
        """
        - id: long
          labels: {en: Long, vi: Kéo dài}
          trigger: timer:open_meetings
          when: meetings_open > open_meetings_limit
          actions:
            - type: flag
              code: open_long
              label: {en: Open long, vi: Mở lâu}
        """,
        extra="""
        settings:
          open_meetings_limit: 4
        """,
    )
    assert not evaluate(pack, "timer:open_meetings", {"meetings_open": 4}).flags
    assert evaluate(pack, "timer:open_meetings", {"meetings_open": 5}).flags[0].code == "open_long"
    # a table may change the pack's settings, with the same type
    assert evaluate(
        pack, "timer:open_meetings", {"meetings_open": 4}, settings={"open_meetings_limit": 3}
    ).flags
    with pytest.raises(FactsError):
        evaluate(pack, "timer:open_meetings", {}, settings={"open_meetings_limit": "3"})
    with pytest.raises(FactsError, match="open_meetings_limit"):
        evaluate(pack, "timer:open_meetings", {}, settings={"open_meeting_limit": 3})
    # one table's override never sticks to the pack (its settings are kept converted, once)
    assert not evaluate(pack, "timer:open_meetings", {"meetings_open": 4}).flags


def test_re_presentation_timer(make_pack):
    pack = make_pack(
        """
        - id: again
          labels: {en: Again, vi: Lần nữa}
          trigger: timer:re_presentation
          when: is_re_presentation and days_since_previous >= 0 and days_since_previous <= 365
          actions: [{type: notify, to: chair, event: re_presented}]
        """
    )
    assert evaluate(
        pack, "timer:re_presentation", {"is_re_presentation": True, "days_since_previous": 100}
    ).notifications
    assert not evaluate(
        pack, "timer:re_presentation", {"is_re_presentation": True, "days_since_previous": 400}
    ).notifications
    assert not evaluate(pack, "timer:re_presentation", {"is_re_presentation": True}).notifications


# --- facts and explanations ------------------------------------------------------------
def test_facts_are_checked(guarded):
    with pytest.raises(FactsError, match="risk_factor_count"):
        evaluate(guarded, "submit", {"risk_factor_cnt": 1})
    with pytest.raises(FactsError, match="FLOAT"):
        evaluate(guarded, "submit", {"risk_factor_count": "1"})
    with pytest.raises(FactsError):
        evaluate(guarded, "submit", {"risk_factor_count": True})
    with pytest.raises(FactsError):
        evaluate(guarded, "submit", {"risk_categories": ["housing", 3]})


def test_explanation_names_rule_condition_and_facts(guarded):
    result = evaluate(guarded, "submit", {"risk_factor_count": 1, "stage": "draft"})
    text = result.fired[0].explanation
    assert "min_factors" in text
    assert "Two factors" in text and "Hai yếu tố" in text
    assert "risk_factor_count < 2" in text
    assert "risk_factor_count = 1" in text
    assert "stage" not in text.split("when:")[1]  # only the facts the condition reads
    assert "matched" in text
    assert "min_factors" in result.explain()
    assert result.fired[0].as_dict()["actions"][0]["type"] == "guard"
    defaulted = evaluate(guarded, "submit", {}).outcomes[0].explanation
    assert "(not given: default)" in defaulted


def test_rules_without_when_always_fire(make_pack):
    pack = make_pack(
        """
        - id: always
          labels: {en: Always, vi: Luôn luôn}
          trigger: enter:closed
          actions: [{type: notify, to: members, event: closed}]
        """
    )
    result = evaluate(pack, "enter:closed", {"stage": "closed"})
    assert result.fired[0].rule.when is None
    assert "(always)" in result.fired[0].explanation
