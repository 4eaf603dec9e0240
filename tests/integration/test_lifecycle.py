"""A situation's whole life through the core, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support.factories import (
    accepted_with_identity,
    filter1,
    in_intervention,
    open_meeting,
    submitted,
)

from rules.loader import load_shipped_pack
from workflow import interventions, situations
from workflow.errors import IllegalTransition, RuleRefusal, ValidationError
from workflow.models import (
    AgendaItem,
    Deadline,
    IdentityRecord,
    OutboxEvent,
    RuleFiring,
    Situation,
    Transition,
    utcnow,
)


def test_whole_lifecycle_records_every_transition(world):
    sid, mid = in_intervention(world)
    rt = world.runtime
    with rt.command() as s:
        cmha = world.user(s, "cmha")
        interventions.record_first_contact(s, cmha, sid)
        interventions.report_back(s, cmha, sid, progress_note="Connected to a counsellor",
                                  first_contact_made=True, still_aer=False, meeting_id=mid,
                                  services=["counselling"])
        task = s.get(Situation, sid).tasks[0]
        interventions.update_task(s, world.user(s, "housing"), task.id, status="done")
        interventions.close(s, world.user(s, "chair"), sid, conclusion_reason="lowered_connected")
    with rt.read() as s:
        sit = s.get(Situation, sid)
        assert sit.stage == "closed"
        assert sit.conclusion_reason == "lowered_connected"
        assert sit.ref.startswith("PEEL-")
        moves = [(t.command, t.from_stage, t.to_stage) for t in sit.transitions]
        assert moves == [
            ("submit", "draft", "submitted"), ("schedule", "submitted", "on_agenda"),
            ("present", "on_agenda", "presented"), ("accept", "presented", "accepted"),
            ("disclose", "accepted", "disclosed"), ("plan", "disclosed", "intervention"),
            ("report_back", "intervention", "intervention"), ("close", "intervention", "closed"),
        ]
        chair_id = world.users["chair"]
        assert all(t.actor_id for t in sit.transitions)
        assert {t.actor_id for t in sit.transitions if t.command == "accept"} == {chair_id}
        assert sit.first_contact_at is not None
        first_contact = s.scalar(select(Deadline).where(Deadline.situation_id == sid,
                                                        Deadline.kind == "first_contact"))
        assert first_contact.met_at is not None
        # the Ontario pack set the first-contact deadline 2 business days after acceptance
        assert sit.first_contact_due > sit.accepted_at
        assert sit.first_contact_due - sit.accepted_at >= timedelta(days=2)
        shipped = load_shipped_pack("ontario").version
        assert s.scalar(select(func.count()).select_from(RuleFiring).where(
            RuleFiring.situation_id == sid, RuleFiring.pack_version == shipped)) > 0
        # the lead agency heard it leads, with no identity in the event
        lead_events = s.scalars(select(OutboxEvent).where(
            OutboxEvent.event_type == "situation.lead_assigned")).all()
        assert [e.agency_ids for e in lead_events] == [[world.agencies["cmha"]]]
        assert "Jane" not in str(lead_events[0].payload)


def test_submit_puts_the_situation_on_the_next_meeting_agenda(world):
    sid = submitted(world)
    with world.runtime.read() as s:
        sit = s.get(Situation, sid)
        assert sit.stage == "on_agenda"
        item = s.scalar(select(AgendaItem).where(AgendaItem.situation_id == sid))
        assert item is not None and item.kind == "new"


@pytest.mark.parametrize("reason", ["not_aer", "single_agency", "already_handled", "other"])
def test_each_rejection_path_leaves_no_identity(world, reason):
    sid = submitted(world)
    mid = open_meeting(world)
    with world.runtime.command() as s:
        situations.reject(s, world.user(s, "chair"), sid, mid, reason,
                          note="de-identified note" if reason == "other" else "")
    with world.runtime.read() as s:
        sit = s.get(Situation, sid)
        assert sit.stage == "rejected" and sit.rejection_reason == reason
        assert s.get(IdentityRecord, sid) is None
    assert not world.runtime.vault.has_key(sid)
    with pytest.raises(IllegalTransition), world.runtime.command() as s:
        interventions.disclose(s, world.user(s, "chair"), sid, [world.agencies["cmha"]],
                               basis="phipa_40_1")


def test_reject_other_needs_a_note(world):
    sid = submitted(world)
    mid = open_meeting(world)
    with pytest.raises(ValidationError) as err, world.runtime.command() as s:
        situations.reject(s, world.user(s, "chair"), sid, mid, "other")
    assert err.value.field == "rejection_note"


def test_withdraw_before_disclosure_and_re_present(world):
    sid = submitted(world)
    with world.runtime.command() as s:
        situations.withdraw(s, world.user(s, "school"), sid, "originator_resolved",
                            world.runtime.vault)
    with world.runtime.command() as s:
        again = situations.re_present(s, world.user(s, "school"), sid)
        new_id = again.id
    with world.runtime.read() as s:
        assert s.get(Situation, sid).stage == "withdrawn"
        new = s.get(Situation, new_id)
        assert new.stage == "draft" and new.previous_situation_id == sid
        assert {f.factor_code for f in new.risk_factors} == {
            f.factor_code for f in s.get(Situation, sid).risk_factors}


def test_withdraw_after_acceptance_destroys_entered_identity_at_once(world):
    sid = accepted_with_identity(world)
    assert world.runtime.vault.has_key(sid)
    with world.runtime.command() as s:
        situations.withdraw(s, world.user(s, "chair"), sid, "duplicate", world.runtime.vault)
    with world.runtime.read() as s:
        assert s.get(IdentityRecord, sid) is None
        assert s.get(Situation, sid).identity_purged_at is not None
    assert not world.runtime.vault.has_key(sid)


def test_re_presentation_is_flagged_by_the_ontario_pack(world):
    sid = submitted(world)
    mid = open_meeting(world)
    with world.runtime.command() as s:
        situations.reject(s, world.user(s, "chair"), sid, mid, "not_aer")
    with world.runtime.command() as s:
        again = situations.re_present(s, world.user(s, "school"), sid)
        situations.submit(s, world.user(s, "school"), again.id)
        new_id = again.id
    with world.runtime.read() as s:
        from workflow.models import Flag

        codes = set(s.scalars(select(Flag.code).where(Flag.situation_id == new_id)))
        assert codes, "a re-presentation within 12 months raises a flag"


def test_rule_guard_refuses_a_decision_without_quorum(world):
    sid = submitted(world)
    mid = open_meeting(world, present=("police", "school"))
    with pytest.raises(RuleRefusal) as err, world.runtime.command() as s:
        situations.accept(s, world.user(s, "chair"), sid, mid)
    assert "3" in str(err.value) or "sector" in str(err.value).lower()
    with world.runtime.read() as s:
        assert s.get(Situation, sid).stage == "on_agenda"


def test_rule_guard_refuses_filter_one_with_one_risk_factor(world):
    with world.runtime.command() as s:
        actor = world.user(s, "school")
        sit = situations.draft(s, actor, world.table_id,
                               filter1(risk_factors=["housing.transient"], aer_reasons=[]))
        sid = sit.id
    with pytest.raises(RuleRefusal), world.runtime.command() as s:
        situations.submit(s, world.user(s, "school"), sid)
    with world.runtime.read() as s:
        assert s.get(Situation, sid).stage == "draft"
        assert s.scalar(select(func.count()).select_from(Transition).where(
            Transition.situation_id == sid)) == 0


def test_closure_refused_while_tasks_unexplained(world):
    sid, _ = in_intervention(world)
    with pytest.raises(RuleRefusal), world.runtime.command() as s:
        interventions.close(s, world.user(s, "chair"), sid, conclusion_reason="lowered_other")
    with world.runtime.command() as s:
        task = s.get(Situation, sid).tasks[0]
        interventions.update_task(s, world.user(s, "housing"), task.id, status="not_done",
                                  note="No bed available this week")
        interventions.close(s, world.user(s, "chair"), sid,
                            conclusion_reason="still_aer_unable_to_locate")
    with world.runtime.read() as s:
        assert s.get(Situation, sid).stage == "closed"


def test_time_can_be_given_to_every_command(world):
    past = utcnow() - timedelta(days=30)
    sid = submitted(world, now=past)
    with world.runtime.read() as s:
        assert s.get(Situation, sid).submitted_at == past
