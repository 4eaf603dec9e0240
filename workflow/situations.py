"""Filters 1 and 2, and the ends of a situation's life: the commands of the table's workflow.

    draft -> submit -> (on the next meeting's agenda) -> present -> accept | reject
    withdraw from any open stage; re_present makes a new draft linked to a finished one.

Commands change objects and record; they never commit: the caller owns the transaction.
Filters 3 and 4 (disclose, plan, report back, close) are in workflow/interventions.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from workflow import access, audit, gatekeeper, meetings, rulebook, stages
from workflow.errors import DomainError, PermissionDenied, ValidationError
from workflow.identity import IdentityVault
from workflow.models import (
    Meeting,
    Situation,
    SituationRiskFactor,
    Table,
    Transition,
    User,
    utcnow,
)
from workflow.outbox import emit
from workflow.reference import load_catalog

SUMMARY_LIMIT = 1000


#: What filter 1's checklist asks, by field, as the instruction shown when it is unanswered.
CHECKLIST = {
    "options_exhausted": "Answer the checklist question: has your agency exhausted its own "
                         "options?",
    "needs_multiple_agencies": "Answer the checklist question: does it need more than one "
                               "agency?",
    "harm_probable_imminent": "Answer the checklist question: is harm probable and imminent?",
    "consent": "Record whether consent was sought, and the person's answer.",
}


@dataclass
class Filter1:
    """What the originating agency may say at filter 1: de-identified facts only."""

    situation_type: str
    age_group: str
    gender: str
    risk_factors: list[str]
    aer_reasons: list[str] = field(default_factory=list)
    summary: str = ""
    persons_count: int = 1
    options_exhausted: bool | None = None
    needs_multiple_agencies: bool | None = None
    harm_probable_imminent: bool | None = None
    consent: str | None = None
    help_source: str | None = None
    screening_answers: dict[str, bool] | None = None

    def validate(self) -> None:
        catalog = load_catalog()
        for kind, value, fld in (
            ("situation_types", self.situation_type, "situation_type"),
            ("age_groups", self.age_group, "age_group"),
            ("genders", self.gender, "gender"),
        ):
            if value not in catalog.codes(kind):
                raise ValidationError("unknown %(value)s %(value2)r", field=fld,
                                      value=fld.replace('_', ' '), value2=value)
        if self.consent is not None and self.consent not in catalog.codes("consent"):
            raise ValidationError("unknown consent answer %(consent)r", field="consent",
                                  consent=self.consent)
        if self.help_source is not None and self.help_source not in catalog.codes("help_sources"):
            raise ValidationError("unknown help source %(help_source)r",
                                  field="help_source", help_source=self.help_source)
        unknown = [f for f in self.risk_factors if f not in catalog.factors]
        if unknown:
            raise ValidationError("unknown risk factor(s): %(values)s",
                                  field="risk_factors", values=', '.join(unknown))
        if len(set(self.risk_factors)) != len(self.risk_factors):
            raise ValidationError("a risk factor is listed twice", field="risk_factors")
        stray = [f for f in self.aer_reasons if f not in self.risk_factors]
        if stray:
            raise ValidationError(
                "a reason for AER must be one of the chosen risk factors: %(values)s",
                field="aer_reasons", values=', '.join(stray),
            )
        if len(self.summary) > SUMMARY_LIMIT:
            raise ValidationError("the summary is limited to %(SUMMARY_LIMIT)s characters",
                                  field="summary", SUMMARY_LIMIT=SUMMARY_LIMIT)
        if not 1 <= self.persons_count <= 50:
            raise ValidationError("number of persons must be between 1 and 50",
                                  field="persons_count")

    def checklist_problems(self) -> list[tuple[str, str]]:
        """Filter 1's checklist must be answered in full before a situation goes to the table."""
        missing = [(name, CHECKLIST[name]) for name in CHECKLIST
                   if name != "consent" and getattr(self, name) is None]
        if self.consent is None:
            missing.append(("consent", CHECKLIST["consent"]))
        return missing


def _apply_facts(situation: Situation, facts: Filter1) -> None:
    catalog = load_catalog()
    situation.situation_type = facts.situation_type
    situation.age_group = facts.age_group
    situation.gender = facts.gender
    situation.summary = facts.summary.strip()
    situation.persons_count = facts.persons_count
    situation.options_exhausted = facts.options_exhausted
    situation.needs_multiple_agencies = facts.needs_multiple_agencies
    situation.harm_probable_imminent = facts.harm_probable_imminent
    situation.consent = facts.consent
    situation.help_source = facts.help_source
    situation.taxonomy_version = catalog.version
    if facts.screening_answers is not None:
        situation.screening_answers = dict(facts.screening_answers)
        situation.screening_score = sum(1 for v in facts.screening_answers.values() if v)
    reasons = set(facts.aer_reasons)
    kept = {f.factor_code: f for f in situation.risk_factors if f.factor_code in facts.risk_factors}
    for row in [f for f in situation.risk_factors if f.factor_code not in kept]:
        situation.risk_factors.remove(row)
    for code in facts.risk_factors:
        factor = kept.get(code)
        if factor is None:
            factor = SituationRiskFactor(factor_code=code,
                                         category_code=catalog.category_of(code))
            situation.risk_factors.append(factor)
        factor.is_aer_reason = code in reasons


def facts_of(situation: Situation) -> Filter1:
    return Filter1(
        situation_type=situation.situation_type,
        age_group=situation.age_group,
        gender=situation.gender,
        risk_factors=[f.factor_code for f in situation.risk_factors],
        aer_reasons=[f.factor_code for f in situation.risk_factors if f.is_aer_reason],
        summary=situation.summary,
        persons_count=situation.persons_count,
        options_exhausted=situation.options_exhausted,
        needs_multiple_agencies=situation.needs_multiple_agencies,
        harm_probable_imminent=situation.harm_probable_imminent,
        consent=situation.consent,
        help_source=situation.help_source,
        screening_answers=situation.screening_answers,
    )


def draft(
    session: Session,
    actor: User,
    table_id: int,
    facts: Filter1,
    *,
    now: datetime | None = None,
    previous: Situation | None = None,
) -> Situation:
    """Filter 1 begins: the actor's agency records a de-identified situation as a draft."""
    access.require_permission(actor, "situation.draft")
    table = session.get(Table, table_id)
    if table is None or actor.agency_id is None:
        raise ValidationError("unknown table %(table_id)s", field="table_id", table_id=table_id)
    if not access.agency_sits_at(session, actor.agency_id, table_id):
        raise PermissionDenied("your agency is not a member of this table", field="table_id")
    facts.validate()
    _check_screening(session, table, facts)
    now = now or utcnow()
    situation = Situation(
        table_id=table_id,
        originating_agency_id=actor.agency_id,
        created_by_id=actor.id,
        stage=stages.DRAFT,
        created_at=now,
        updated_at=now,
        previous_situation_id=previous.id if previous else None,
    )
    _apply_facts(situation, facts)
    session.add(situation)
    session.flush()
    situation.ref = f"{table.code}-{situation.id:06d}"
    audit.record(session, stages.STEPS["draft"].audit, actor=actor,
                 situation_id=situation.id, detail={"table_id": table_id}, now=now)
    return situation


def _check_screening(session: Session, table: Table, facts: Filter1) -> None:
    """Screening answers name only the questions of the table's pack (no free-form map)."""
    if not facts.screening_answers:
        return
    pack = rulebook.pack_for(session, table)
    allowed = set(pack.screening.question_ids) if pack.screening else set()
    unknown = [str(k)[:40] for k in facts.screening_answers if k not in allowed]
    if unknown:
        raise ValidationError("unknown screening question %(unknown)r",
                              field="screening_answers", unknown=unknown[0])


def update_draft(
    session: Session, actor: User, situation_id: int, facts: Filter1, *,
    expected_version: int | None = None, now: datetime | None = None,
) -> Situation:
    """Filter 1 continues: only the originating agency edits its draft."""
    run = gatekeeper.begin(session, actor, "update_draft", situation_id, now=now,
                           expected_version=expected_version)
    facts.validate()
    _check_screening(session, run.situation.table, facts)
    _apply_facts(run.situation, facts)
    run.situation.updated_at = run.now
    run.record()
    return run.situation


def submit(
    session: Session, actor: User, situation_id: int, *,
    expected_version: int | None = None, now: datetime | None = None,
) -> Situation:
    """Filter 1 ends: the checklist is complete and the rules agree; it goes on the agenda."""
    run = gatekeeper.begin(session, actor, "submit", situation_id, now=now,
                           expected_version=expected_version, guard=False)
    situation = run.situation
    missing = facts_of(situation).checklist_problems()
    if missing:
        raise ValidationError(CHECKLIST[missing[0][0]], field=missing[0][0])
    run.guard()
    run.move()
    situation.submitted_at = run.now
    meeting = meetings.next_meeting(session, situation.table, now=run.now)
    meetings.put_on_agenda(session, meeting, situation, kind="new")
    run.move("schedule", meeting_id=meeting.id)
    emit(session, "situation.submitted", table_id=situation.table_id, situation=situation,
         to_chairs=True, extra={"meeting_at": meeting.scheduled_at.isoformat()})
    run.after()
    return situation


def _meeting_for_decision(session: Session, situation: Situation, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.table_id != situation.table_id:
        raise ValidationError("that meeting is not a meeting of this situation's table",
                              field="meeting_id")
    if meeting.status != "open":
        raise DomainError("the table decides only in an open meeting: open the meeting first",
                          field="meeting_id")
    if not meeting.present_agency_ids():
        raise DomainError("record attendance before the table decides", field="attendance")
    return meeting


def _decision(session: Session, actor: User, command: str, situation_id: int,
              meeting_id: int, expected_version: int | None, now: datetime | None,
              validate: Callable[[], None] = lambda: None) -> gatekeeper.Run:
    """Filter 2's common start: a chair, in an open meeting with attendance, the right stage.

    A situation on the agenda is presented as the table takes it up (its own transition and
    the `present` guards), then decided.
    """
    run = gatekeeper.begin(session, actor, command, situation_id, now=now,
                           expected_version=expected_version, guard=False)
    run.meeting = _meeting_for_decision(session, run.situation, meeting_id)
    validate()
    if stages.allows("present", run.situation.stage):
        run.guard("present")
    run.guard()
    if stages.allows("present", run.situation.stage):
        presented = _present(run)
        rulebook.after(session, run.situation, "present", actor=actor, now=run.now,
                       meeting=run.meeting, transition=presented)
    return run


def _present(run: gatekeeper.Run) -> Transition:
    assert run.meeting is not None
    transition = run.move("present")
    run.situation.presented_at = run.now
    meetings.put_on_agenda(run.session, run.meeting, run.situation, kind="new")
    return transition


def present(
    session: Session, actor: User, situation_id: int, meeting_id: int, *,
    expected_version: int | None = None, now: datetime | None = None,
) -> Situation:
    """Filter 2 begins: the originating agency presents the de-identified facts to the table."""
    run = gatekeeper.begin(session, actor, "present", situation_id, now=now,
                           expected_version=expected_version, guard=False)
    run.meeting = _meeting_for_decision(session, run.situation, meeting_id)
    run.guard()
    _present(run)
    run.after()
    return run.situation


def accept(
    session: Session, actor: User, situation_id: int, meeting_id: int, *,
    expected_version: int | None = None, now: datetime | None = None,
) -> Situation:
    """Filter 2 ends: the table finds acutely elevated risk."""
    run = _decision(session, actor, "accept", situation_id, meeting_id, expected_version, now)
    situation, meeting = run.situation, run.meeting
    assert meeting is not None
    run.move()
    situation.decided_meeting_id = meeting.id
    situation.decided_at = situation.accepted_at = run.now
    meetings.record_outcome(meeting, situation, "accepted")
    emit(session, "situation.accepted", table_id=situation.table_id, situation=situation,
         agency_ids=[situation.originating_agency_id], to_chairs=True)
    rulebook.after(session, situation, "accept", actor=actor, now=run.now, meeting=meeting,
                   transition=run.transitions[-1])
    return situation


def reject(
    session: Session, actor: User, situation_id: int, meeting_id: int, reason: str,
    note: str = "", *, expected_version: int | None = None, now: datetime | None = None,
) -> Situation:
    """Filter 2 ends: not AER. Nothing identifying was ever entered, and none ever will be."""

    def validate() -> None:
        if reason not in load_catalog().codes("rejection_reasons"):
            raise ValidationError("Choose a reason for rejecting.",
                                  field="rejection_reason", reason=reason)
        if reason == "other" and not note.strip():
            raise ValidationError("say why (de-identified) when the reason is 'other'",
                                  field="rejection_note")

    run = _decision(session, actor, "reject", situation_id, meeting_id, expected_version, now,
                    validate)
    situation, meeting = run.situation, run.meeting
    assert meeting is not None
    situation.rejection_reason = reason
    situation.rejection_note = note.strip()[:SUMMARY_LIMIT] or None
    run.move(reason=reason)
    situation.decided_meeting_id = meeting.id
    situation.decided_at = run.now
    meetings.record_outcome(meeting, situation, "rejected")
    emit(session, "situation.rejected", table_id=situation.table_id, situation=situation,
         agency_ids=[situation.originating_agency_id], extra={"rejection_reason": reason})
    rulebook.after(session, situation, "reject", actor=actor, now=run.now, meeting=meeting,
                   transition=run.transitions[-1])
    return situation


def withdraw(
    session: Session, actor: User, situation_id: int, reason: str, vault: IdentityVault, *,
    expected_version: int | None = None, now: datetime | None = None,
) -> Situation:
    """Take a situation off the table; identity (if any) is destroyed at once before planning."""
    run = gatekeeper.begin(session, actor, "withdraw", situation_id, now=now,
                           expected_version=expected_version, guard=False)
    if reason not in load_catalog().codes("withdrawal_reasons"):
        raise ValidationError("Choose a reason for withdrawing.",
                              field="withdrawal_reason", reason=reason)
    run.guard()
    situation = run.situation
    before_disclosure = situation.stage in stages.BEFORE_DISCLOSURE
    situation.withdrawal_reason = reason
    run.move(reason=reason)
    situation.closed_at = run.now
    meetings.drop_from_open_agendas(session, situation)
    if before_disclosure:
        vault.purge(session, situation, reason="withdrawn before disclosure", actor=actor,
                    now=run.now)
    emit(session, "situation.withdrawn", table_id=situation.table_id, situation=situation,
         agency_ids=_involved_agency_ids(situation), to_chairs=True)
    run.after()
    return situation


def re_present(
    session: Session, actor: User, situation_id: int, *, now: datetime | None = None
) -> Situation:
    """The risk is back: a NEW draft with the same facts, linked to the finished one."""
    run = gatekeeper.begin(session, actor, "re_present", situation_id, now=now)
    run.record({"previous": situation_id})
    return draft(session, actor, run.situation.table_id, facts_of(run.situation), now=run.now,
                 previous=run.situation)


def _involved_agency_ids(situation: Situation) -> list[int]:
    ids = {i.agency_id for i in situation.involvements} | situation.granted_agency_ids
    if situation.lead_agency_id:
        ids.add(situation.lead_agency_id)
    return sorted(ids)
