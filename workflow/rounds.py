"""Decision rounds: filter 2 between meetings, with a closing time, members answering on their own.

    chair: open_round(situations, closing time) -> member agencies told (no identity)
    each member agency: answer(AER yes/no, what it can contribute, needed at filter 3)
    every member answered, or the closing time passed (the sweep, once per round):
        decide by the pack (quorum of sectors, agreement) -> accept | reject | next meeting

A round is another way to reach the same commands, not a second workflow: when it decides, it
holds a one-sitting meeting record (opened and closed by the chair who opened the round, with
the answering agencies as attendance) and calls workflow.situations.accept / reject under it,
so guards, transitions, audit, outbox and minutes are those of a meeting. The round keeps that
meeting's id: a decision taken in a round is one whose meeting a round holds.
What the pages read of rounds (their minutes, the rounds waiting on an agency) is in
workflow/round_views.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflow import access, audit, gatekeeper, meetings, rulebook, situations, stages
from workflow.db import is_postgres
from workflow.errors import DomainError, NotFound, PermissionDenied, ValidationError
from workflow.models import (
    Agency,
    DecisionRound,
    Flag,
    Meeting,
    RoundAnswer,
    RoundItem,
    Situation,
    Table,
    TableMembership,
    User,
    utcnow,
)
from workflow.outbox import emit
from workflow.reference import load_catalog

DEFAULT_ROUND_HOURS = 24.0
DEFAULT_AGREEMENT = 1.0  # consensus: any split goes to the next meeting
DEFAULT_QUORUM = 1
MAX_ROUND_HOURS = 24 * 14
#: the reason recorded when a round rejects (the catalog's rejection reason)
REJECT_REASON = "not_aer"

#: A round's outcomes with their English labels (the web translates them).
OUTCOME_LABELS = {"accepted": "accepted", "rejected": "not accepted",
                  "next_meeting": "to the next meeting"}


# -- the pack's rule for one situation --------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    outcome: str  # accepted | rejected | next_meeting
    reason: str | None = None  # for next_meeting: no_answers | no_quorum | no_agreement


def verdict(answers: list[tuple[str, bool]], *, quorum: int, agreement: float) -> Verdict:
    """(sector, AER yes/no) per answering agency -> the round's decision for one situation."""
    if not answers:
        return Verdict("next_meeting", "no_answers")
    if len({sector for sector, _ in answers}) < quorum:
        return Verdict("next_meeting", "no_quorum")
    yes = sum(1 for _, aer in answers if aer) / len(answers)
    if yes >= agreement:
        return Verdict("accepted")
    if 1 - yes >= agreement:
        return Verdict(outcome="rejected", reason=REJECT_REASON)
    return Verdict("next_meeting", "no_agreement")


def _settings(session: Session, table: Table) -> dict[str, float]:
    pack = rulebook.pack_for(session, table)
    s = dict(pack.settings)
    return {
        "round_hours": float(s.get("round_hours", DEFAULT_ROUND_HOURS)),
        "urgent_round_hours": float(s.get("urgent_round_hours",
                                          s.get("round_hours", DEFAULT_ROUND_HOURS))),
        "agreement": min(1.0, float(s.get("round_agreement", DEFAULT_AGREEMENT))),
        "quorum": float(s.get("quorum_sectors", DEFAULT_QUORUM)),
    }


def default_hours(session: Session, table: Table, situation_ids: list[int]) -> float:
    """The pack's round length; its urgent length when a situation carries an open flag."""
    settings = _settings(session, table)
    flagged = session.scalar(select(Flag.id).where(
        Flag.situation_id.in_(situation_ids), Flag.cleared_at.is_(None)).limit(1))
    return settings["urgent_round_hours"] if flagged is not None else settings["round_hours"]


# -- commands ---------------------------------------------------------------------------------
def open_round(session: Session, actor: User, situation_ids: list[int], *,
               closes_at: datetime | None = None, now: datetime | None = None
               ) -> DecisionRound:
    """The chair asks the member agencies to decide these situations before `closes_at`."""
    now = now or utcnow()
    ids = list(dict.fromkeys(situation_ids))
    if not ids:
        raise ValidationError("choose at least one situation for the round",
                              field="situation_ids")
    runs = [gatekeeper.begin(session, actor, "open_round", sid, now=now) for sid in ids]
    table_ids = {run.situation.table_id for run in runs}
    if len(table_ids) != 1:
        raise ValidationError("a round decides situations of one table", field="situation_ids")
    table = runs[0].situation.table
    busy = session.scalars(select(RoundItem.situation_id).join(DecisionRound).where(
        RoundItem.situation_id.in_(ids), DecisionRound.status != "decided")).all()
    if busy:
        refs = ", ".join(r.situation.ref or str(r.situation.id) for r in runs
                         if r.situation.id in set(busy))
        raise DomainError("already in an open round: %(refs)s", field="situation_ids", refs=refs)
    if closes_at is None:
        closes_at = now + timedelta(hours=default_hours(session, table, ids))
    if closes_at <= now:
        raise ValidationError("the closing time must be in the future", field="closes_at")
    if closes_at > now + timedelta(hours=MAX_ROUND_HOURS):
        raise ValidationError("a round closes within 14 days; bring it to a meeting instead",
                              field="closes_at")
    round_ = DecisionRound(table_id=table.id, opened_by_id=actor.id, opened_at=now,
                           closes_at=closes_at, status="open")
    round_.items = [RoundItem(situation_id=sid) for sid in ids]
    session.add(round_)
    session.flush()
    for run in runs:
        run.record({"round_id": round_.id, "closes_at": closes_at.isoformat()})
    emit(session, "round.opened", table_id=table.id, agency_ids=member_agency_ids(
        session, table.id), to_chairs=True,
        extra={"closes_at": closes_at.isoformat(), "situations_count": len(ids)})
    return round_


def answer(session: Session, actor: User, round_id: int, situation_id: int, *, aer: bool,
           contributes: list[str] | tuple[str, ...] = (), needed_at_filter_3: bool = False,
           now: datetime | None = None) -> RoundAnswer:
    """A member agency's view of one situation; it may change it until the round closes."""
    now = now or utcnow()
    # Locked and read afresh: an answer waits for a sweep deciding this round (and then finds
    # it closed), and two last answers do not both miss each other.
    round_ = _round(session, round_id, lock=True)
    item = next((i for i in round_.items if i.situation_id == situation_id), None)
    if item is None:
        raise NotFound(f"situation {situation_id} is not in round {round_id}")
    situation = session.get(Situation, situation_id)
    assert situation is not None
    if gatekeeper.may(session, actor, "answer_round", situation) and (
            round_.status != "open" or round_.closes_at <= now):
        raise DomainError("this round is closed; its answers can no longer change",
                          field="round")
    gatekeeper.require(session, actor, "answer_round", situation)
    services = load_catalog().codes("services")
    unknown = [c for c in contributes if c not in services]
    if unknown:
        raise ValidationError("unknown service(s): %(values)s", field="contributes",
                              values=', '.join(unknown))
    assert actor.agency_id is not None  # MEMBER implies an agency
    row = next((a for a in round_.answers if a.situation_id == situation_id
                and a.agency_id == actor.agency_id), None)
    if row is None:
        row = RoundAnswer(situation_id=situation_id, agency_id=actor.agency_id)
        round_.answers.append(row)
    row.user_id, row.aer, row.answered_at = actor.id, bool(aer), now
    row.contributes = sorted(set(contributes))
    row.needed_at_filter_3 = bool(needed_at_filter_3)
    audit.record(session, "round.answer", actor=actor, situation_id=situation_id,
                 detail={"round_id": round_.id, "aer": bool(aer),
                         "needed_at_filter_3": bool(needed_at_filter_3)}, now=now)
    session.flush()
    if _everyone_answered(session, round_) and _claim(session, round_.id):
        session.refresh(round_)
        decide(session, round_, now=now, by="answers")
    return row


def _round(session: Session, round_id: int, *, lock: bool = False) -> DecisionRound:
    round_ = (session.get(DecisionRound, round_id, with_for_update=True, populate_existing=True)
              if lock else session.get(DecisionRound, round_id))
    if round_ is None:
        raise NotFound(f"no decision round {round_id}")
    return round_


def decidable_for(session: Session, actor: User) -> list[Situation]:
    """Situations the chair may put to a round now (not already in an open one)."""
    tables = [t for t in access.table_ids_in_scope(session, actor)
              if access.chairs_table(session, actor, t)]
    if not tables:
        return []
    busy = select(RoundItem.situation_id).join(DecisionRound).where(
        DecisionRound.status != "decided")
    found = session.scalars(select(Situation).where(
        Situation.table_id.in_(tables), Situation.stage.in_(stages.step("open_round").sources),
        Situation.id.not_in(busy)).order_by(Situation.id))
    return [s for s in found if gatekeeper.can(session, actor, "open_round", s)]


@dataclass
class AskedItem:
    """What a member agency sees of a situation in a round: filter 1's facts, no identity."""

    situation_id: int
    ref: str
    situation_type: str
    age_group: str
    gender: str
    risk_factors: list[str]
    mine: RoundAnswer | None


def asked_of(session: Session, actor: User, round_: DecisionRound) -> list[AskedItem]:
    """The round's situations as a member agency answers them (with its answer so far)."""
    out = []
    for item in round_.items:
        situation = session.get(Situation, item.situation_id)
        if situation is None or not gatekeeper.may(session, actor, "answer_round", situation):
            continue
        mine = next((a for a in round_.answers if a.situation_id == situation.id
                     and a.agency_id == actor.agency_id), None)
        out.append(AskedItem(situation.id, situation.ref or str(situation.id),
                             situation.situation_type, situation.age_group, situation.gender,
                             [f.factor_code for f in situation.risk_factors], mine))
    return out


def round_of(session: Session, round_id: int) -> DecisionRound:
    return _round(session, round_id)


def member_agency_ids(session: Session, table_id: int) -> list[int]:
    return sorted(session.scalars(select(TableMembership.agency_id).where(
        TableMembership.table_id == table_id)))


def _everyone_answered(session: Session, round_: DecisionRound) -> bool:
    members = set(member_agency_ids(session, round_.table_id))
    for item in round_.items:
        situation = session.get(Situation, item.situation_id)
        if situation is None or not stages.allows("answer_round", situation.stage):
            continue  # decided at a meeting or withdrawn meanwhile: nobody can answer it
        answered = {a.agency_id for a in round_.answers if a.situation_id == item.situation_id}
        if not members <= answered:
            return False
    return True


def _claim(session: Session, round_id: int) -> bool:
    """open -> deciding, by compare-and-set: exactly one caller decides a round."""
    result = session.execute(
        update(DecisionRound).where(DecisionRound.id == round_id,
                                    DecisionRound.status == "open")
        .values(status="deciding").execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def close_due(session: Session, *, now: datetime, limit: int = 50) -> int:
    """The timer: claim rounds whose closing time passed and decide them. Returns how many.

    The claim is one UPDATE guarded by `status = 'open'` (rows picked with SKIP LOCKED on
    PostgreSQL), so two sweepers never decide the same round, and a second sweep finds none.
    """
    due = (select(DecisionRound.id)
           .where(DecisionRound.status == "open", DecisionRound.closes_at <= now)
           .order_by(DecisionRound.closes_at, DecisionRound.id).limit(limit))
    if is_postgres(session):
        due = due.with_for_update(skip_locked=True)
    claimed = session.execute(
        update(DecisionRound).where(DecisionRound.id.in_(due), DecisionRound.status == "open")
        .values(status="deciding").returning(DecisionRound.id)
        .execution_options(synchronize_session=False)).scalars().all()
    for round_id in sorted(claimed):
        round_ = _round(session, round_id)
        session.refresh(round_)
        decide(session, round_, now=now, by="timer")
    return len(claimed)


def decide(session: Session, round_: DecisionRound, *, now: datetime, by: str) -> None:
    """Apply the pack's rule to each situation, through the table's own accept and reject."""
    table = session.get(Table, round_.table_id)
    assert table is not None
    settings = _settings(session, table)
    sectors = dict(session.execute(select(Agency.id, Agency.sector)).tuples().all())
    members = set(member_agency_ids(session, round_.table_id))  # one that left no longer counts
    chair = session.get(User, round_.opened_by_id)
    if chair is not None and not access.chairs_table(session, chair, round_.table_id):
        chair = None  # the chair who opened it left: the table decides at its next meeting
    meeting: Meeting | None = None
    for item in round_.items:
        situation = session.get(Situation, item.situation_id)
        assert situation is not None
        if not stages.allows("answer_round", situation.stage):
            # settled outside the round (a meeting decided it, or it was withdrawn): the round
            # decides nothing for it and tells no one; its minutes show the stage it reached
            item.outcome, item.reason = None, situation.stage
            continue
        answers = [(sectors[a.agency_id], a.aer) for a in round_.answers
                   if a.situation_id == item.situation_id and a.agency_id in members]
        v = verdict(answers, quorum=int(settings["quorum"]), agreement=settings["agreement"])
        if v.outcome == "next_meeting" or chair is None:
            item.outcome, item.reason = "next_meeting", v.reason or "no_chair"
        else:
            if meeting is None:
                meeting = _sitting(session, round_, chair, now, members)
            item.outcome, item.reason = _apply(session, chair, situation, meeting, v, now)
        emit(session, "round.decided", table_id=round_.table_id, situation=situation,
             agency_ids=[situation.originating_agency_id], to_chairs=True,
             extra={"round_outcome": item.outcome})
    if meeting is not None:
        meetings.close_meeting(session, chair, meeting.id, now=now)  # type: ignore[arg-type]
        round_.meeting_id = meeting.id
    round_.status, round_.decided_at, round_.decided_by = "decided", now, by
    audit.record(session, "round.decide", actor=chair, detail={
        "round_id": round_.id, "by": by,
        "outcomes": {str(i.situation_id): i.outcome for i in round_.items}}, now=now)


def _sitting(session: Session, round_: DecisionRound, chair: User, now: datetime,
             members: set[int]) -> Meeting:
    """The one-sitting meeting record the round decides under: its answering members attend."""
    at = now
    while session.scalar(select(Meeting.id).where(Meeting.table_id == round_.table_id,
                                                  Meeting.scheduled_at == at)) is not None:
        at += timedelta(seconds=1)
    meeting = Meeting(table_id=round_.table_id, scheduled_at=at, place="decision round",
                      agenda_prepared_at=now, created_at=now)
    session.add(meeting)
    session.flush()
    meetings.open_meeting(session, chair, meeting.id, now=now)
    for agency_id in sorted({a.agency_id for a in round_.answers} & members):
        meetings.record_attendance(session, chair, meeting.id, agency_id, present=True,
                                   confidentiality_ack=True)
    return meeting


def _apply(session: Session, chair: User, situation: Situation, meeting: Meeting, v: Verdict,
           now: datetime) -> tuple[str, str | None]:
    """accept or reject in a savepoint: a refusal (a guard, a lost chair) sends it onward."""
    try:
        with session.begin_nested():
            if v.outcome == "accepted":
                situations.accept(session, chair, situation.id, meeting.id, now=now)
            else:
                situations.reject(session, chair, situation.id, meeting.id,
                                  v.reason or REJECT_REASON, now=now)
            meetings.drop_from_open_agendas(session, situation)
    except (DomainError, PermissionDenied) as refused:
        session.expire(situation)
        return "next_meeting", (refused.field or "refused")[:40]
    return v.outcome, v.reason
