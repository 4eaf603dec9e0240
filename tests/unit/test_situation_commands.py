"""Filters 1 and 2 (workflow/situations.py): each command's happy path and its refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from support.factories import filter1

from workflow import situations
from workflow.errors import (
    ConcurrentEdit,
    DomainError,
    IllegalTransition,
    NotFound,
    PermissionDenied,
    RuleRefusal,
    ValidationError,
)
from workflow.models import AgendaItem, AuditEntry, Flag, Situation


def test_draft_records_a_deidentified_situation(db, cmd, user, core_world):
    with cmd() as s:
        sit = situations.draft(s, user("school"), core_world.table_id, filter1())
    assert sit.stage == "draft"
    assert sit.ref == f"PEEL-{sit.id:06d}"
    assert sit.originating_agency_id == core_world.agencies["school"]
    assert db.scalar(select(AuditEntry.action).where(AuditEntry.situation_id == sit.id)) == (
        "situation.draft")


@pytest.mark.parametrize(("who", "error"), [("manager", PermissionDenied),
                                            ("admin", PermissionDenied),
                                            ("outsider", PermissionDenied)])
def test_draft_refuses_who_may_not_bring_a_situation(cmd, user, core_world, who, error):
    with pytest.raises(error), cmd() as s:
        situations.draft(s, user(who), core_world.table_id, filter1())


def test_draft_refuses_an_unknown_table_and_unknown_codes(db, cmd, user, core_world):
    with pytest.raises(ValidationError) as bad_table, cmd() as s:
        situations.draft(s, user("school"), 999_999, filter1())
    assert bad_table.value.field == "table_id"
    with pytest.raises(ValidationError) as bad_factor, cmd() as s:
        situations.draft(s, user("school"), core_world.table_id,
                         filter1(risk_factors=["housing.transient", "no.such_factor"]))
    assert bad_factor.value.field == "risk_factors"
    with pytest.raises(ValidationError), cmd() as s:
        situations.draft(s, user("school"), core_world.table_id, filter1(persons_count=0))
    assert db.scalar(select(Situation.id)) is None  # nothing was left behind


def test_update_draft_changes_the_facts(cmd, user, steps):
    sit = steps.draft()
    with cmd() as s:
        situations.update_draft(s, user("school"), sit.id, filter1(age_group="18-24"))
    assert sit.age_group == "18-24"


def test_update_draft_refuses_after_submission_and_other_agencies(cmd, user, steps):
    sit = steps.draft()
    with pytest.raises(NotFound), cmd() as s:  # another agency does not even see it
        situations.update_draft(s, user("hospital"), sit.id, filter1())
    with pytest.raises(ConcurrentEdit), cmd() as s:
        situations.update_draft(s, user("school"), sit.id, filter1(),
                                expected_version=sit.version + 1)
    with cmd() as s:
        situations.submit(s, user("school"), sit.id)
    with pytest.raises(DomainError) as after, cmd() as s:
        situations.update_draft(s, user("school"), sit.id, filter1())
    assert after.value.field == "stage"


def test_submit_puts_it_on_the_next_agenda_and_tells_the_chairs(db, cmd, user, steps, outbox):
    sit = steps.draft()
    with cmd() as s:
        situations.submit(s, user("school"), sit.id)
    assert sit.stage == "on_agenda"
    assert sit.submitted_at is not None
    assert db.scalar(select(AgendaItem.kind).where(AgendaItem.situation_id == sit.id)) == "new"
    assert "situation.submitted" in outbox(sit.id)


def test_submit_refuses_an_incomplete_checklist(cmd, user, steps):
    sit = steps.draft(options_exhausted=None)
    with pytest.raises(ValidationError) as refused, cmd() as s:
        situations.submit(s, user("school"), sit.id)
    assert refused.value.field == "options_exhausted"
    assert sit.stage == "draft"


def test_submit_is_refused_by_the_packs_guard(db, cmd, user, steps):
    sit = steps.draft(risk_factors=["housing.transient"], aer_reasons=[])
    with pytest.raises(RuleRefusal) as refused, cmd() as s:
        situations.submit(s, user("school"), sit.id)
    assert "two risk factors" in str(refused.value)
    assert db.get(Situation, sit.id).stage == "draft"


def test_submit_twice_is_an_illegal_transition(cmd, user, steps):
    sit = steps.submitted()
    with pytest.raises(IllegalTransition), cmd() as s:
        situations.submit(s, user("school"), sit.id)


def test_present_moves_it_before_the_table(cmd, user, steps):
    sit = steps.submitted()
    meeting = steps.meeting()
    with cmd() as s:
        situations.present(s, user("chair"), sit.id, meeting.id)
    assert sit.stage == "presented"
    assert sit.presented_at is not None


def test_present_refuses_without_the_chair_or_an_open_meeting_with_attendance(cmd, user, steps):
    sit = steps.submitted()
    closed = steps.meeting(open_it=False)
    with pytest.raises(DomainError, match="open the meeting"), cmd() as s:
        situations.present(s, user("chair"), sit.id, closed.id)
    empty = steps.meeting(present=())
    with pytest.raises(DomainError, match="attendance"), cmd() as s:
        situations.present(s, user("chair"), sit.id, empty.id)
    with pytest.raises(PermissionDenied), cmd() as s:
        situations.present(s, user("school"), sit.id, empty.id)


def test_accept_finds_acutely_elevated_risk(cmd, user, steps, outbox):
    sit = steps.submitted()
    meeting = steps.meeting()
    with cmd() as s:
        situations.accept(s, user("chair"), sit.id, meeting.id)
    assert sit.stage == "accepted"
    assert sit.decided_meeting_id == meeting.id
    assert sit.accepted_at is not None
    assert "situation.accepted" in outbox(sit.id)


def test_accept_refuses_without_quorum_and_twice(cmd, user, steps):
    sit = steps.submitted()
    thin = steps.meeting(present=("police", "school"))  # two sectors; the pack wants three
    with pytest.raises(RuleRefusal), cmd() as s:
        situations.accept(s, user("chair"), sit.id, thin.id)
    assert sit.stage == "on_agenda"
    accepted, meeting = steps.accepted()
    with pytest.raises(IllegalTransition), cmd() as s:
        situations.accept(s, user("chair"), accepted.id, meeting.id)


def test_accept_refuses_a_meeting_of_another_table(cmd, user, steps):
    sit = steps.submitted()
    with pytest.raises(ValidationError) as refused, cmd() as s:
        situations.accept(s, user("chair"), sit.id, 999_999)
    assert refused.value.field == "meeting_id"


def test_reject_records_the_reason(cmd, user, steps, outbox):
    sit = steps.submitted()
    meeting = steps.meeting()
    with cmd() as s:
        situations.reject(s, user("chair"), sit.id, meeting.id, "other", "  handled by EMS  ")
    assert sit.stage == "rejected"
    assert (sit.rejection_reason, sit.rejection_note) == ("other", "handled by EMS")
    assert "situation.rejected" in outbox(sit.id)


def test_reject_refuses_unknown_or_unexplained_reasons(cmd, user, steps):
    sit = steps.submitted()
    meeting = steps.meeting()
    with pytest.raises(ValidationError), cmd() as s:
        situations.reject(s, user("chair"), sit.id, meeting.id, "because")
    with pytest.raises(ValidationError) as unexplained, cmd() as s:
        situations.reject(s, user("chair"), sit.id, meeting.id, "other", "   ")
    assert unexplained.value.field == "rejection_note"
    with pytest.raises(PermissionDenied), cmd() as s:
        situations.reject(s, user("school"), sit.id, meeting.id, "not_aer")
    assert sit.stage == "on_agenda"


def test_withdraw_takes_it_off_the_agenda(db, cmd, user, steps, core_runtime, outbox):
    sit = steps.submitted()
    with cmd() as s:
        situations.withdraw(s, user("school"), sit.id, "originator_resolved", core_runtime.vault)
    assert sit.stage == "withdrawn"
    assert sit.closed_at is not None
    assert "situation.withdrawn" in outbox(sit.id)


def test_a_situation_submitted_after_a_withdrawal_goes_to_the_end_of_the_agenda(
        db, cmd, user, steps, core_runtime):
    first, second, third = steps.submitted(), steps.submitted(), steps.submitted()
    with cmd() as s:
        situations.withdraw(s, user("school"), first.id, "originator_resolved",
                            core_runtime.vault)
    late = steps.submitted()
    positions = dict(db.execute(select(AgendaItem.situation_id, AgendaItem.position)).all())
    assert first.id not in positions
    assert positions[late.id] > max(positions[second.id], positions[third.id])


def test_withdraw_refuses_unknown_reasons_other_agencies_and_finished_ones(
        cmd, user, steps, core_runtime):
    sit = steps.submitted()
    with pytest.raises(ValidationError), cmd() as s:
        situations.withdraw(s, user("school"), sit.id, "bored", core_runtime.vault)
    with pytest.raises(NotFound), cmd() as s:
        situations.withdraw(s, user("hospital"), sit.id, "duplicate", core_runtime.vault)
    rejected = steps.rejected()
    with pytest.raises(IllegalTransition), cmd() as s:
        situations.withdraw(s, user("school"), rejected.id, "duplicate", core_runtime.vault)


def test_re_present_makes_a_new_linked_draft_and_submitting_it_is_flagged(db, cmd, user, steps):
    earlier = steps.rejected()
    with cmd() as s:
        again = situations.re_present(s, user("school"), earlier.id)
    assert again.id != earlier.id
    assert (again.stage, again.previous_situation_id) == ("draft", earlier.id)
    assert situations.facts_of(again) == situations.facts_of(earlier)
    with cmd() as s:
        situations.submit(s, user("school"), again.id)
    codes = list(db.scalars(select(Flag.code).where(Flag.situation_id == again.id)))
    assert codes  # the pack flags a re-presentation within its window


def test_re_present_refuses_open_situations_and_other_agencies(cmd, user, steps):
    open_one = steps.submitted()
    with pytest.raises(IllegalTransition), cmd() as s:
        situations.re_present(s, user("school"), open_one.id)
    earlier = steps.rejected()
    with pytest.raises(PermissionDenied), cmd() as s:
        situations.re_present(s, user("chair"), earlier.id)
