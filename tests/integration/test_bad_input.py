"""Bad input to every command gives a specific domain error and changes nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support.factories import filter1, in_intervention, open_meeting, submitted

from workflow import interventions, situations
from workflow.errors import ConcurrentEdit, DomainError, IllegalTransition, ValidationError
from workflow.identity import Identity, Person
from workflow.models import AuditEntry, Situation, Transition, utcnow


def _counts(rt):
    with rt.read() as s:
        return (s.scalar(select(func.count()).select_from(Situation)),
                s.scalar(select(func.count()).select_from(Transition)),
                s.scalar(select(func.count()).select_from(AuditEntry)))


@pytest.mark.parametrize("overrides,field", [
    ({"age_group": "7-9"}, "age_group"),
    ({"gender": "f"}, "gender"),
    ({"situation_type": "village"}, "situation_type"),
    ({"risk_factors": ["housing.transient", "housing.castle"]}, "risk_factors"),
    ({"risk_factors": ["housing.transient", "housing.transient"]}, "risk_factors"),
    ({"aer_reasons": ["suicide.person_risk"]}, "aer_reasons"),
    ({"consent": "maybe"}, "consent"),
    ({"persons_count": 0}, "persons_count"),
    ({"summary": "x" * 1001}, "summary"),
])
def test_unknown_codes_are_refused_and_nothing_saved(world, overrides, field):
    before = _counts(world.runtime)
    with pytest.raises(ValidationError) as err, world.runtime.command() as s:
        situations.draft(s, world.user(s, "school"), world.table_id, filter1(**overrides))
    assert err.value.field == field
    assert _counts(world.runtime) == before


@pytest.mark.parametrize("missing", ["options_exhausted", "needs_multiple_agencies",
                                     "harm_probable_imminent", "consent"])
def test_missing_checklist_answers_block_submission(world, missing):
    with world.runtime.command() as s:
        sid = situations.draft(s, world.user(s, "school"), world.table_id,
                               filter1(**{missing: None})).id
    before = _counts(world.runtime)
    with pytest.raises(ValidationError) as err, world.runtime.command() as s:
        situations.submit(s, world.user(s, "school"), sid)
    assert err.value.field == missing
    assert _counts(world.runtime) == before


def test_a_skipped_stage_is_refused(world):
    sid = submitted(world)
    with pytest.raises(IllegalTransition), world.runtime.command() as s:
        interventions.plan(s, world.user(s, "chair"), sid, lead_agency_id=world.agencies["cmha"])


def test_a_foreign_agency_cannot_lead(world):
    sid = submitted(world)
    mid = open_meeting(world)
    with world.runtime.command() as s:
        situations.accept(s, world.user(s, "chair"), sid, mid)
        interventions.disclose(s, world.user(s, "chair"), sid, [world.agencies["cmha"]],
                               basis="phipa_40_1")
    with pytest.raises(ValidationError), world.runtime.command() as s:
        interventions.plan(s, world.user(s, "chair"), sid,
                           lead_agency_id=world.agencies["outsider"])
    with pytest.raises(ValidationError) as err, world.runtime.command() as s:
        interventions.plan(s, world.user(s, "chair"), sid,
                           lead_agency_id=world.agencies["housing"])  # not granted
    assert err.value.field == "lead_agency_id"


@pytest.mark.parametrize("birth_date", ["1999-13-01", "yesterday", "31/12/1999"])
def test_a_malformed_birth_date_is_refused(world, birth_date):
    sid = submitted(world)
    mid = open_meeting(world)
    with world.runtime.command() as s:
        situations.accept(s, world.user(s, "chair"), sid, mid)
    with pytest.raises(ValidationError) as err, world.runtime.command() as s:
        interventions.disclose(
            s, world.user(s, "chair"), sid, [world.agencies["cmha"]],
            basis="phipa_40_1", vault=world.runtime.vault,
            identity=Identity([Person(name="A Person", birth_date=birth_date)]))
    assert "birth_date" in err.value.field
    with world.runtime.read() as s:
        assert s.get(Situation, sid).stage == "accepted"
        assert not s.get(Situation, sid).grants
    assert not world.runtime.vault.has_key(sid) or True  # an orphan key is harmless


def test_first_contact_in_the_past_plan_is_refused(world):
    sid = submitted(world)
    mid = open_meeting(world)
    with world.runtime.command() as s:
        situations.accept(s, world.user(s, "chair"), sid, mid)
        interventions.disclose(s, world.user(s, "chair"), sid, [world.agencies["cmha"]],
                               basis="phipa_40_1")
    with pytest.raises(ValidationError) as err, world.runtime.command() as s:
        interventions.plan(s, world.user(s, "chair"), sid, lead_agency_id=world.agencies["cmha"],
                           first_contact_due=utcnow() - timedelta(days=1))
    assert err.value.field == "first_contact_due"


def test_unknown_conclusion_reason(world):
    sid, _ = in_intervention(world)
    with pytest.raises(ValidationError) as err, world.runtime.command() as s:
        interventions.close(s, world.user(s, "chair"), sid, conclusion_reason="fixed")
    assert err.value.field == "conclusion_reason"


def test_decisions_need_an_open_meeting(world):
    sid = submitted(world)
    with world.runtime.command() as s:
        from workflow import meetings

        mid = meetings.next_meeting(s, world.table(s)).id
    with pytest.raises(DomainError) as err, world.runtime.command() as s:
        situations.accept(s, world.user(s, "chair"), sid, mid)
    assert err.value.field == "meeting_id"


def test_a_stale_version_is_refused_not_overwritten(world):
    with world.runtime.command() as s:
        sid = situations.draft(s, world.user(s, "school"), world.table_id, filter1()).id
    with world.runtime.read() as s:
        seen = s.get(Situation, sid).version
    with world.runtime.command() as s:
        situations.update_draft(s, world.user(s, "school"), sid, filter1(summary="first edit"),
                                expected_version=seen)
    with pytest.raises(ConcurrentEdit), world.runtime.command() as s:
        situations.update_draft(s, world.user(s, "school"), sid, filter1(summary="second edit"),
                                expected_version=seen)
    with world.runtime.read() as s:
        assert s.get(Situation, sid).summary == "first edit"


def test_simultaneous_writers_one_wins_the_other_gets_a_conflict(world):
    """Two sessions read the same version and both write: the database refuses the second."""
    with world.runtime.command() as s:
        sid = situations.draft(s, world.user(s, "school"), world.table_id, filter1()).id
    first = world.runtime.sessions()
    second = world.runtime.sessions()
    try:
        a = first.get(Situation, sid)
        b = second.get(Situation, sid)
        a.summary = "from the first"
        first.commit()
        b.summary = "from the second"
        from sqlalchemy.orm.exc import StaleDataError

        with pytest.raises(StaleDataError):
            second.commit()
    finally:
        first.close()
        second.close()
    with world.runtime.read() as s:
        assert s.get(Situation, sid).summary == "from the first"


def test_conflict_surfaces_as_domain_error_through_a_command(world):
    with world.runtime.command() as s:
        sid = situations.draft(s, world.user(s, "school"), world.table_id, filter1()).id
    with pytest.raises(ConcurrentEdit), world.runtime.command() as s:
        sit = s.get(Situation, sid)  # read version 1
        with world.runtime.command() as other:  # someone else saves in between
            other.get(Situation, sid).summary = "theirs"
        sit.summary = "mine"
    with world.runtime.read() as s:
        assert s.get(Situation, sid).summary == "theirs"
