"""Every trigger a guard may name refuses its command: no guard loads, passes `rules check`,
and then never refuses anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.factories import build_world, filter1, open_meeting, submitted

from rules.loader import load_shipped_pack
from rules.vocabulary import COMMANDS
from workflow import interventions, rulebook, situations
from workflow.errors import RuleRefusal
from workflow.models import Table

PACK = Path(__file__).resolve().parents[2] / "rules" / "packs" / "ontario.yaml"
REFUSAL = "refused by the test guard"


def _pack_with_guard(trigger: str) -> tuple[str, str]:
    name = f"guard-{trigger.replace('_', '-')}"
    source = PACK.read_text(encoding="utf-8").replace("name: ontario-four-filter",
                                                      f"name: {name}", 1)
    rule = f"""
  - id: test.guard.{trigger}
    labels:
      en: Test guard
      vi: Kiểm tra
    trigger: {trigger}
    when: risk_factor_count >= 0
    actions:
      - type: guard
        message:
          en: "{REFUSAL}"
          vi: "{REFUSAL}"
"""
    return name, source.replace("\nrules:\n", "\nrules:" + rule, 1)


@pytest.fixture
def scene(runtime):
    world = build_world(runtime)
    a = world.agencies
    ids = {k: submitted(world) for k in ("present", "accept", "reject", "withdraw",
                                          "disclose", "plan", "report_back", "close",
                                          "re_present")}
    mid = open_meeting(world)
    with runtime.command() as s:
        chair, school = world.user(s, "chair"), world.user(s, "school")
        ids["submit"] = situations.draft(s, school, world.table_id, filter1()).id
        for k in ("disclose", "plan", "report_back", "close"):
            situations.accept(s, chair, ids[k], mid)
        for k in ("plan", "report_back", "close"):
            interventions.disclose(s, chair, ids[k], [a["cmha"]],
                                   basis="phipa_40_1", meeting_id=mid)
        for k in ("report_back", "close"):
            interventions.plan(s, chair, ids[k], lead_agency_id=a["cmha"], meeting_id=mid)
        situations.reject(s, chair, ids["re_present"], mid, "not_aer")
    return world, ids, mid


def _give(trigger, s, world, sid, mid):
    chair, school = world.user(s, "chair"), world.user(s, "school")
    cmha = world.agencies["cmha"]
    calls = {
        "submit": lambda: situations.submit(s, school, sid),
        "present": lambda: situations.present(s, chair, sid, mid),
        "accept": lambda: situations.accept(s, chair, sid, mid),
        "reject": lambda: situations.reject(s, chair, sid, mid, "not_aer"),
        "disclose": lambda: interventions.disclose(s, chair, sid, [cmha],
                                                   basis="phipa_40_1", meeting_id=mid),
        "plan": lambda: interventions.plan(s, chair, sid, lead_agency_id=cmha, meeting_id=mid),
        "report_back": lambda: interventions.report_back(
            s, chair, sid, progress_note="x", first_contact_made=True, still_aer=True),
        "close": lambda: interventions.close(s, chair, sid,
                                             conclusion_reason="lowered_connected"),
        "withdraw": lambda: situations.withdraw(s, school, sid, "originator_resolved",
                                                world.runtime.vault),
        "re_present": lambda: situations.re_present(s, school, sid),
    }
    return calls[trigger]()


def test_the_vocabulary_names_exactly_the_guarded_commands():
    from workflow import stages

    guarded = {s.guard for s in stages.STEPS.values() if s.guard}
    assert guarded == set(COMMANDS)


@pytest.mark.parametrize("trigger", COMMANDS)
def test_a_guard_on_each_trigger_refuses_its_command(scene, runtime, trigger):
    world, ids, mid = scene
    name, source = _pack_with_guard(trigger)
    with runtime.command() as s:
        rulebook.install_pack(s, source, source_name=name)
        table = s.get(Table, world.table_id)
        table.rule_pack_name = name
        table.rule_pack_version = load_shipped_pack("ontario").version
    s = runtime.sessions()
    try:
        with pytest.raises(RuleRefusal, match=REFUSAL):
            _give(trigger, s, world, ids[trigger], mid)
    finally:
        s.rollback()
        s.close()
