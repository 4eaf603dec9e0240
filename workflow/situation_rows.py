"""One de-identified line per situation, as agendas, the dashboard and "my agency" list them.

The read models (workflow/queries.py, dashboard.py, agency_queries.py) build these rows from plain
columns, and count what needs attention (open flags, overdue deadlines) in two grouped queries
for any number of situations, never one lookup per row.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from workflow.models import Deadline, DecisionRound, Flag, Meeting, Situation


@dataclass
class SituationRow:
    """One de-identified line about a situation, as lists and agendas show it."""

    id: int
    ref: str
    stage: str
    situation_type: str
    age_group: str
    gender: str
    created_at: datetime
    accepted_at: datetime | None = None
    flags: int = 0
    overdue: int = 0
    meetings_open: int = 0
    kind: str = "new"
    outcome: str | None = None
    position: int = 0
    lead_agency: str = ""
    flag_labels: list[tuple[str, str]] = field(default_factory=list)

    def days_open(self, now: datetime) -> int:
        return max(0, (now - self.created_at).days)


ROW_COLUMNS = (Situation.id, Situation.ref, Situation.stage, Situation.situation_type,
                Situation.age_group, Situation.gender, Situation.created_at,
                Situation.accepted_at)


def meeting_held_at() -> Any:
    """When a meeting sat: opened (a meeting may sit before its scheduled time; one of old
    data without an opening time: its scheduled time)."""
    return func.coalesce(Meeting.opened_at, Meeting.scheduled_at)


def meetings_held() -> tuple[Any, ...]:
    """The meetings a table held: closed ones, not a decision round's one-sitting record (a
    round decides between meetings; it is not a meeting the open situations sat through)."""
    return (Meeting.status == "closed",
            ~exists().where(DecisionRound.meeting_id == Meeting.id))


def held_since(held: list[datetime], accepted_at: datetime | None) -> int:
    """Closed meetings after acceptance (as rulebook.meetings_open counts), from a sorted list."""
    if accepted_at is None:
        return 0
    return len(held) - bisect_right(held, accepted_at)


def attention(session: Session, ids: list[int], now: datetime
               ) -> tuple[dict[int, int], dict[int, int]]:
    """Open flags and overdue deadlines per situation: two grouped queries for any number."""
    if not ids:
        return {}, {}
    flags = dict(session.execute(
        select(Flag.situation_id, func.count(Flag.id))
        .where(Flag.situation_id.in_(ids), Flag.cleared_at.is_(None))
        .group_by(Flag.situation_id)).tuples().all())
    overdue = dict(session.execute(
        select(Deadline.situation_id, func.count(Deadline.id))
        .where(Deadline.situation_id.in_(ids), Deadline.met_at.is_(None), Deadline.due_at < now)
        .group_by(Deadline.situation_id)).tuples().all())
    return flags, overdue


def row_of(s: Situation, flags: int, overdue: int, **extra: object) -> SituationRow:
    return SituationRow(id=s.id, ref=s.ref or str(s.id), stage=s.stage,
                        situation_type=s.situation_type, age_group=s.age_group, gender=s.gender,
                        created_at=s.created_at, accepted_at=s.accepted_at, flags=int(flags),
                        overdue=int(overdue), **extra)  # type: ignore[arg-type]


def urgency(row: SituationRow) -> tuple[int, int, int, int]:
    """New before report-backs; within each, flagged and overdue first, then agenda order."""
    return (0 if row.kind == "new" else 1,
            -(2 * (row.flags > 0) + (row.overdue > 0)), row.position or 10**6, row.id)
