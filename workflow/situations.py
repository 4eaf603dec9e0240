"""Filters 1 and 2, and the ends of a situation's life: the commands of the table's workflow.

    draft -> submit -> (on the next meeting's agenda) -> present -> accept | reject
    withdraw from any open stage; re_present makes a new draft linked to a finished one.

Commands change objects and record; they never commit: the caller owns the transaction.
Filters 3 and 4 (disclose, plan, report back, close) are in workflow/interventions.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import cast

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from workflow import (
    access,
    appends,
    audit,
    form_tokens,
    gatekeeper,
    meetings,
    rulebook,
    situation_context,
    stages,
)
from workflow.errors import DomainError, PermissionDenied, ValidationError
from workflow.filter_one import CHECKLIST as CHECKLIST  # the commands' vocabulary, re-exported
from workflow.filter_one import SUMMARY_LIMIT as SUMMARY_LIMIT
from workflow.filter_one import Filter1 as Filter1
from workflow.filter_one import apply_facts, columns_of, factor_rows
from workflow.filter_one import facts_of as facts_of
from workflow.identity import IdentityVault
from workflow.models import (
    Situation,
    SituationFormToken,
    SituationRiskFactor,
    Table,
    User,
    utcnow,
)
from workflow.outbox import emit
from workflow.reference import load_catalog
from workflow.situation_context import MeetingView, TableView
from workflow.transitions import Moved


def draft(
    session: Session,
    actor: User,
    table_id: int,
    facts: Filter1,
    *,
    now: datetime | None = None,
    previous: Situation | None = None,
    form_token: str | None = None,
) -> Situation:
    """Filter 1 begins: the actor's agency records a de-identified situation as a draft.

    `form_token` is the new-situation form's one-time token (workflow.form_tokens): a second
    draft with it fails on its key, and the caller answers with the first."""
    access.require_permission(actor, "situation.draft")
    found = situation_context.read_table(session, actor, table_id) if actor.agency_id else None
    if found is None or actor.agency_id is None:
        raise ValidationError("unknown table %(table_id)s", field="table_id", table_id=table_id)
    table, members, situation_id = found
    if actor.agency_id not in members:
        raise PermissionDenied("your agency is not a member of this table", field="table_id")
    if form_token is not None and not form_tokens.valid(form_token):
        raise ValueError("a form token is 8 to 64 letters, digits, '-' or '_'")
    facts.validate()
    _check_screening(session, table, facts)
    now = now or utcnow()
    values = {"table_id": table_id, "originating_agency_id": actor.agency_id,
              "created_by_id": actor.id, "stage": stages.DRAFT, "version": 1,
              "created_at": now, "updated_at": now, "follow_up_settled": False,
              "previous_situation_id": previous.id if previous else None, **columns_of(facts)}
    if situation_id is not None:  # PostgreSQL: the id came with the read, all in one write
        appends.add(session, Situation, {"id": situation_id,
                                         "ref": f"{table.code}-{situation_id:06d}", **values})
        audit.seed_head(session, audit.chain_for(situation_id), 0, audit.GENESIS)
    else:
        connection = session.connection()
        situation_id = connection.execute(insert(Situation).returning(Situation.id),
                                          values).scalar_one()
        connection.execute(update(Situation).where(Situation.id == situation_id).values(
            ref=f"{table.code}-{situation_id:06d}"))
    if form_token is not None:  # its key settles two drafts of one form (form_tokens)
        appends.add(session, SituationFormToken, {"token": form_token,
                                                  "situation_id": situation_id})
    appends.add(session, SituationRiskFactor, factor_rows(situation_id, facts))
    audit.record(session, stages.STEPS["draft"].audit, actor=actor,
                 situation_id=situation_id, detail={"table_id": table_id}, now=now)
    return situation_context.held(session, situation_id)


def _check_screening(session: Session, table: Table | TableView, facts: Filter1) -> None:
    """Screening answers name only the questions of the table's pack (no free-form map)."""
    if not facts.screening_answers:
        return
    pack = rulebook.pack_for(session, cast(Table, table))
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
    apply_facts(run.situation, facts)
    run.situation.updated_at = run.now
    run.record()
    return run.situation


def submit(
    session: Session, actor: User, situation_id: int, *,
    expected_version: int | None = None, now: datetime | None = None,
) -> Situation:
    """Filter 1 ends: the checklist is complete and the rules agree; it goes on the agenda."""
    now = now or utcnow()
    run = gatekeeper.read(session, actor, "submit", situation_id, now=now,
                          expected_version=expected_version, guard=False,
                          upcoming_since=meetings.upcoming_since(now))
    situation = run.situation
    facts_of(situation).require_checklist()
    run.guard()
    run.move()
    situation.submitted_at = run.now
    assert run.context is not None
    meeting_id, meeting_at = run.context.next_meeting or _new_meeting(session, situation, now)
    meetings.enter_on_agenda(session, meeting_id, situation.id)
    run.move("schedule", meeting_id=meeting_id)
    emit(session, "situation.submitted", table_id=situation.table_id, situation=situation,
         to_chairs=True, extra={"meeting_at": meeting_at.isoformat()})
    run.after()
    return run.save()


def _new_meeting(session: Session, situation: Situation, now: datetime) -> tuple[int, datetime]:
    """No meeting is coming: the table's next one, made from its schedule."""
    meeting = meetings.next_meeting(session, session.get_one(Table, situation.table_id), now=now)
    return meeting.id, meeting.scheduled_at


def _meeting_for_decision(run: gatekeeper.Run, meeting_id: int) -> MeetingView:
    meeting = run.context.meeting if run.context is not None else None
    if meeting is None or meeting.table_id != run.situation.table_id:
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
    run = gatekeeper.read(session, actor, command, situation_id, now=now,
                          expected_version=expected_version, meeting_id=meeting_id, guard=False)
    meeting = _meeting_for_decision(run, meeting_id)
    validate()
    if stages.allows("present", run.situation.stage):
        run.guard("present")
    run.guard()
    if stages.allows("present", run.situation.stage):
        presented = _present(run, meeting)
        rulebook.after(session, run.situation, "present", actor=actor, now=run.now,
                       meeting=run.meeting, transition=presented)
    return run


def _present(run: gatekeeper.Run, meeting: MeetingView) -> Moved:
    transition = run.move("present")
    run.situation.presented_at = run.now
    meetings.enter_on_agenda(run.session, meeting.id, run.situation.id)
    return transition


def present(
    session: Session, actor: User, situation_id: int, meeting_id: int, *,
    expected_version: int | None = None, now: datetime | None = None,
) -> Situation:
    """Filter 2 begins: the originating agency presents the de-identified facts to the table."""
    run = gatekeeper.read(session, actor, "present", situation_id, now=now,
                          expected_version=expected_version, meeting_id=meeting_id, guard=False)
    meeting = _meeting_for_decision(run, meeting_id)
    run.guard()
    _present(run, meeting)
    run.after()
    return run.save()


def accept(
    session: Session, actor: User, situation_id: int, meeting_id: int, *,
    expected_version: int | None = None, now: datetime | None = None,
) -> Situation:
    """Filter 2 ends: the table finds acutely elevated risk."""
    run = _decision(session, actor, "accept", situation_id, meeting_id, expected_version, now)
    situation = run.situation
    run.move()
    situation.decided_meeting_id = meeting_id
    situation.decided_at = situation.accepted_at = run.now
    meetings.enter_on_agenda(session, meeting_id, situation.id, outcome="accepted")
    emit(session, "situation.accepted", table_id=situation.table_id, situation=situation,
         agency_ids=[situation.originating_agency_id], to_chairs=True)
    rulebook.after(session, situation, "accept", actor=actor, now=run.now, meeting=run.meeting,
                   transition=run.transitions[-1])
    return run.save()


def reject(
    session: Session, actor: User, situation_id: int, meeting_id: int, reason: str,
    note: str = "", *, expected_version: int | None = None, now: datetime | None = None,
) -> Situation:
    """Filter 2 ends: not AER. Nothing identifying was ever entered, and none ever will be."""

    def validate() -> None:
        if reason not in load_catalog().codes("rejection_reasons"):
            raise ValidationError("Choose a reason for rejecting.",
                                  field="rejection_reason", reason=reason)
        _check_reason_note(reason, note, "rejection_note")

    run = _decision(session, actor, "reject", situation_id, meeting_id, expected_version, now,
                    validate)
    situation = run.situation
    situation.rejection_reason = reason
    situation.rejection_note = note.strip() or None
    run.move(reason=reason)
    situation.decided_meeting_id = meeting_id
    situation.decided_at = run.now
    meetings.enter_on_agenda(session, meeting_id, situation.id, outcome="rejected")
    emit(session, "situation.rejected", table_id=situation.table_id, situation=situation,
         agency_ids=[situation.originating_agency_id], extra={"rejection_reason": reason})
    rulebook.after(session, situation, "reject", actor=actor, now=run.now, meeting=run.meeting,
                   transition=run.transitions[-1])
    return run.save()


def _check_reason_note(reason: str, note: str, field: str) -> None:
    """A rejection's or a withdrawal's note: needed when the reason is "other", never longer
    than a summary (refused, not cut)."""
    if reason == "other" and not note.strip():
        raise ValidationError("say why (de-identified) when the reason is 'other'", field=field)
    if len(note.strip()) > SUMMARY_LIMIT:
        raise ValidationError("the note is limited to %(limit)s characters", field=field,
                              limit=SUMMARY_LIMIT)


def withdraw(
    session: Session, actor: User, situation_id: int, reason: str, vault: IdentityVault, *,
    note: str = "", expected_version: int | None = None, now: datetime | None = None,
) -> Situation:
    """Take a situation off the table; identity (if any) is destroyed at once before planning.
    The reason "other" needs a de-identified note, as a rejection's does."""
    run = gatekeeper.begin(session, actor, "withdraw", situation_id, now=now,
                           expected_version=expected_version, guard=False)
    if reason not in load_catalog().codes("withdrawal_reasons"):
        raise ValidationError("Choose a reason for withdrawing.",
                              field="withdrawal_reason", reason=reason)
    _check_reason_note(reason, note, "withdrawal_note")
    run.guard()
    situation = run.situation
    before_disclosure = situation.stage in stages.BEFORE_DISCLOSURE
    situation.withdrawal_reason = reason
    situation.withdrawal_note = note.strip() or None
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
