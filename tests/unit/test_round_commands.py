"""Filter 2 between meetings (workflow/rounds.py), putting on the agenda, and the follow-up
after a closure (workflow/follow_up.py): happy paths and refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from workflow import follow_up, gatekeeper, rounds
from workflow.errors import (
    DomainError,
    IllegalTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from workflow.models import AuditEntry, FollowUp, RoundAnswer, Transition, utcnow


def test_schedule_puts_a_submitted_situation_on_the_next_agenda(db, steps):
    sit = steps.submitted()
    assert sit.stage == "on_agenda"
    moves = db.execute(select(Transition.command, Transition.from_stage, Transition.to_stage)
                       .where(Transition.situation_id == sit.id).order_by(Transition.id)).all()
    assert [tuple(m) for m in moves] == [("submit", "draft", "submitted"),
                                         ("schedule", "submitted", "on_agenda")]


def test_schedule_refuses_a_draft_and_another_agency(cmd, user, steps):
    draft = steps.draft()
    with pytest.raises(IllegalTransition), cmd() as s:
        gatekeeper.require(s, user("school"), "schedule", draft)
    sit = steps.submitted()
    with pytest.raises(PermissionDenied), cmd() as s:
        gatekeeper.require(s, user("housing"), "schedule", sit)


def test_open_round_asks_the_member_agencies(db, cmd, user, steps, outbox):
    first, second = steps.submitted(), steps.submitted()
    closes = utcnow() + timedelta(hours=30)
    with cmd() as s:
        round_ = rounds.open_round(s, user("chair"), [first.id, second.id], closes_at=closes)
    assert round_.status == "open"
    assert sorted(i.situation_id for i in round_.items) == sorted([first.id, second.id])
    assert db.scalar(select(AuditEntry.id).where(AuditEntry.action == "round.open",
                                                 AuditEntry.situation_id == first.id))


def test_open_round_refuses_agencies_no_situation_a_past_closing_and_a_second_round(cmd, user,
                                                                                     steps):
    sit = steps.submitted()
    with pytest.raises(PermissionDenied), cmd() as s:
        rounds.open_round(s, user("school"), [sit.id])
    with pytest.raises(ValidationError), cmd() as s:
        rounds.open_round(s, user("chair"), [])
    with pytest.raises(ValidationError), cmd() as s:
        rounds.open_round(s, user("chair"), [sit.id], closes_at=utcnow() - timedelta(hours=1))
    with pytest.raises(ValidationError), cmd() as s:
        rounds.open_round(s, user("chair"), [sit.id], closes_at=utcnow() + timedelta(days=15))
    with cmd() as s:
        rounds.open_round(s, user("chair"), [sit.id])
    with pytest.raises(DomainError, match="already in an open round"), cmd() as s:
        rounds.open_round(s, user("chair"), [sit.id])
    rejected = steps.rejected()
    with pytest.raises(IllegalTransition), cmd() as s:
        rounds.open_round(s, user("chair"), [rejected.id])


def _round(cmd, user, steps):
    sit = steps.submitted()
    with cmd() as s:
        return sit, rounds.open_round(s, user("chair"), [sit.id])


def test_answer_round_records_an_agencys_view_and_may_change_it(db, cmd, user, steps):
    sit, round_ = _round(cmd, user, steps)
    with cmd() as s:
        rounds.answer(s, user("cmha"), round_.id, sit.id, aer=True,
                      contributes=["mental_health"], needed_at_filter_3=True)
    with cmd() as s:
        rounds.answer(s, user("cmha"), round_.id, sit.id, aer=False)
    (row,) = db.scalars(select(RoundAnswer).where(RoundAnswer.situation_id == sit.id)).all()
    assert (row.aer, row.contributes, row.needed_at_filter_3) == (False, [], False)
    assert round_.status == "open"  # the other members have not answered


def test_answer_round_refuses_outsiders_unknown_services_and_other_situations(cmd, user, steps):
    sit, round_ = _round(cmd, user, steps)
    with pytest.raises(PermissionDenied), cmd() as s:
        rounds.answer(s, user("outsider"), round_.id, sit.id, aer=True)
    with pytest.raises(ValidationError), cmd() as s:
        rounds.answer(s, user("cmha"), round_.id, sit.id, aer=True, contributes=["magic"])
    other = steps.submitted()
    with pytest.raises(NotFound), cmd() as s:
        rounds.answer(s, user("cmha"), round_.id, other.id, aer=True)
    with pytest.raises(NotFound), cmd() as s:
        rounds.answer(s, user("cmha"), 999_999, sit.id, aer=True)
    with pytest.raises(DomainError, match="closed"), cmd() as s:
        rounds.answer(s, user("cmha"), round_.id, sit.id, aer=True,
                      now=round_.closes_at + timedelta(minutes=1))


def test_record_follow_up_keeps_the_leads_answer(db, cmd, user, steps):
    sit = steps.closed()
    with cmd() as s:
        row, again = follow_up.record(s, user("cmha"), sit.id, "yes")
    assert again is None
    assert db.get(FollowUp, row.id).answer == "yes"
    assert row.answered_by_id == user("cmha").id


def test_record_follow_up_refuses_odd_answers_other_agencies_and_no_lowered_risk(cmd, user,
                                                                                 steps):
    sit = steps.closed()
    with pytest.raises(ValidationError), cmd() as s:
        follow_up.record(s, user("cmha"), sit.id, "maybe")
    with pytest.raises(ValidationError), cmd() as s:
        follow_up.record(s, user("cmha"), sit.id, "yes", re_present=True)
    with pytest.raises(PermissionDenied), cmd() as s:  # it presented it; it did not intervene
        follow_up.record(s, user("school"), sit.id, "yes")
    with pytest.raises(NotFound), cmd() as s:  # never involved: it may not even see it
        follow_up.record(s, user("police"), sit.id, "yes")
    still = steps.closed(reason="still_aer_refused")
    with pytest.raises(ValidationError), cmd() as s:
        follow_up.record(s, user("cmha"), still.id, "yes")
    open_one, _ = steps.planned()
    with pytest.raises(IllegalTransition), cmd() as s:
        follow_up.record(s, user("cmha"), open_one.id, "yes")
