"""What the pages read of decision rounds: the round's minutes, a table's rounds, the rounds
waiting on an agency. The commands are in workflow/rounds.py; nothing here changes a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import access
from workflow.models import Agency, DecisionRound, Situation, Table, TableMembership, User
from workflow.rounds import member_agency_ids, round_of


@dataclass
class RoundAnswerLine:
    agency: str
    sector: str
    aer: bool
    contributes: list[str]
    needed_at_filter_3: bool
    answered_at: datetime


@dataclass
class RoundMinutesItem:
    situation_id: int
    ref: str
    outcome: str | None
    reason: str | None
    answers: list[RoundAnswerLine] = field(default_factory=list)


@dataclass
class RoundMinutes:
    """Like a meeting's minutes: who answered, when, and the decision; references only."""

    round_id: int
    table: str
    chair: str
    opened_at: datetime
    closes_at: datetime
    status: str
    decided_at: datetime | None
    decided_by: str | None
    meeting_id: int | None
    #: the table's time zone: the minutes show its clock, as the round's emails do
    timezone: str = "UTC"
    not_answered: list[str] = field(default_factory=list)
    items: list[RoundMinutesItem] = field(default_factory=list)


def minutes(session: Session, actor: User, round_id: int) -> RoundMinutes:
    """The chair's view of a round: every answer and the decisions (de-identified)."""
    round_ = round_of(session, round_id)
    access.require_chair(session, actor, round_.table_id)
    table = session.get(Table, round_.table_id)
    chair = session.get(User, round_.opened_by_id)
    agencies = {a.id: a for a in session.scalars(select(Agency))}
    result = RoundMinutes(
        round_id=round_.id, table=table.name if table else "",
        chair=chair.display_name if chair else "", opened_at=round_.opened_at,
        closes_at=round_.closes_at, status=round_.status, decided_at=round_.decided_at,
        decided_by=round_.decided_by, meeting_id=round_.meeting_id,
        timezone=(table.timezone if table else None) or "UTC")
    answered = {a.agency_id for a in round_.answers}
    result.not_answered = sorted(agencies[i].name for i in member_agency_ids(
        session, round_.table_id) if i not in answered)
    for item in round_.items:
        situation = session.get(Situation, item.situation_id)
        line = RoundMinutesItem(item.situation_id, (situation.ref if situation else None)
                                or str(item.situation_id), item.outcome, item.reason)
        for a in round_.answers:
            if a.situation_id == item.situation_id:
                agency = agencies[a.agency_id]
                line.answers.append(RoundAnswerLine(agency.name, agency.sector, a.aer,
                                                    list(a.contributes),
                                                    a.needed_at_filter_3, a.answered_at))
        result.items.append(line)
    return result


def rounds_of_table(session: Session, actor: User, table_id: int) -> list[DecisionRound]:
    access.require_chair(session, actor, table_id)
    return list(session.scalars(select(DecisionRound).where(
        DecisionRound.table_id == table_id).order_by(DecisionRound.opened_at.desc())))


def zones_of(session: Session, rounds: list[DecisionRound]) -> dict[int, str]:
    """Each round's table's time zone, by table id: a round closes on its table's clock."""
    ids = {r.table_id for r in rounds}
    return {i: z or "UTC" for i, z in session.execute(
        select(Table.id, Table.timezone).where(Table.id.in_(ids))).tuples()} if ids else {}


def open_rounds_for(session: Session, actor: User) -> list[DecisionRound]:
    """Rounds waiting on the actor's agency: open, at a table the agency sits at."""
    if actor.agency_id is None or not access.has_permission(actor, "situation.draft"):
        return []
    tables = select(TableMembership.table_id).where(TableMembership.agency_id == actor.agency_id)
    return list(session.scalars(select(DecisionRound).where(
        DecisionRound.status == "open", DecisionRound.table_id.in_(tables))
        .order_by(DecisionRound.closes_at)))


def taken_in_round(session: Session, meeting_id: int | None) -> int | None:
    """The round that held this meeting record, if a round took the decision."""
    if meeting_id is None:
        return None
    return session.scalar(select(DecisionRound.id).where(DecisionRound.meeting_id == meeting_id))
