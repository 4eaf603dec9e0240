"""The facts a rule reads about one situation, built from the database only as far as needed.

A command asks for the names its trigger's rules read (workflow.rulebook.packs.names_read):
the cheap facts come from the loaded situation, and the costly ones (meetings held since
acceptance, the earlier situation, "seen before", tasks, attendance) are read only when a
rule reads them. With `names=None` every fact is built (explain, tests, pages).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, SessionTransaction

from rules.facts import FACT_TYPES
from workflow.linkage.match import SeenBefore, seen_before
from workflow.models import Agency, Meeting, Situation, utcnow
from workflow.reference import load_catalog
from workflow.situation_rows import meeting_held_at, meetings_held

_SECTORS = "hubtable.rulebook.sectors"


@event.listens_for(Session, "after_transaction_end")
def _forget_sectors(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_SECTORS, None)
        session.info.pop(_PARTIAL, None)


def sector_map(session: Session) -> dict[int, str]:
    """Every agency's sector, read once per transaction (facts need it several times)."""
    cached = session.info.get(_SECTORS)
    if cached is None or session.info.get(_PARTIAL):
        cached = dict(session.execute(select(Agency.id, Agency.sector)).tuples().all())
        session.info[_SECTORS] = cached
        session.info.pop(_PARTIAL, None)
    return cached


def seed_sectors(session: Session, known: dict[int, str]) -> None:
    """The sectors of the table's members, as a command's one read found them: enough for
    its facts; an agency outside them reads the whole map."""
    if _SECTORS not in session.info:
        session.info[_SECTORS] = dict(known)
        session.info[_PARTIAL] = True


_PARTIAL = "hubtable.rulebook.sectors.partial"


def sector_of(session: Session, agency_id: int | None) -> str:
    if not agency_id:
        return ""
    known = session.info.get(_SECTORS)
    if known is not None and agency_id in known:
        return str(known[agency_id])
    return sector_map(session).get(agency_id, "")


def sectors(session: Session, agency_ids: Iterable[int]) -> list[str]:
    wanted = set(agency_ids)
    known = session.info.get(_SECTORS)
    if known is None or not wanted <= known.keys():
        known = sector_map(session)
    return sorted({known[a] for a in wanted if a in known})


def meetings_open(session: Session, situation: Situation) -> int:
    """Meetings the table has held since it accepted the situation: sat after the acceptance
    (never the meeting that accepted it, however early it sat), not a decision round's."""
    if situation.accepted_at is None:
        return 0
    end = situation.closed_at
    held_at = meeting_held_at()
    query = select(func.count(Meeting.id)).where(
        Meeting.table_id == situation.table_id, *meetings_held(),
        held_at > situation.accepted_at)
    if end is not None:
        query = query.where(held_at <= end)
    return int(session.scalar(query) or 0)


@dataclass
class _Context:
    """One situation at one moment; each costly part is read at most once."""

    session: Session
    situation: Situation
    meeting: Meeting | None
    now: datetime

    @cached_property
    def present(self) -> set[int]:
        return self.meeting.present_agency_ids() if self.meeting is not None else set()

    @cached_property
    def present_sectors(self) -> list[str]:
        return sectors(self.session, self.present)

    @cached_property
    def seen(self) -> SeenBefore:
        return seen_before(self.session, self.situation, now=self.now)

    @cached_property
    def open_tasks(self) -> float:
        return float(sum(1 for t in self.situation.tasks if t.status == "open"))

    def sector_of(self, agency_id: int | None) -> str:
        return sector_of(self.session, agency_id)

    def days_since_previous(self) -> float:
        s = self.situation
        if not s.previous_situation_id:
            return -1.0
        prev = self.session.get(Situation, s.previous_situation_id)
        if prev is None:
            return -1.0
        ended = prev.closed_at or prev.decided_at or prev.created_at
        return max(0.0, (self.now - ended).total_seconds() / 86400)


def _days(now: datetime, then: datetime) -> float:
    return max(0.0, (now - then).total_seconds() / 86400)


_FACTS: dict[str, Callable[[_Context], Any]] = {
    "stage": lambda c: c.situation.stage,
    "table_country": lambda c: c.situation.table.country,
    "age_group": lambda c: c.situation.age_group,
    "is_child": lambda c: load_catalog().is_child(c.situation.age_group),
    "is_minor": lambda c: load_catalog().is_minor(c.situation.age_group),
    "gender": lambda c: c.situation.gender,
    "situation_type": lambda c: c.situation.situation_type,
    "consent": lambda c: c.situation.consent or "",
    "risk_factors": lambda c: [f.factor_code for f in c.situation.risk_factors],
    "risk_categories": lambda c: sorted({f.category_code for f in c.situation.risk_factors}),
    "aer_reasons": lambda c: [f.factor_code for f in c.situation.risk_factors
                              if f.is_aer_reason],
    "risk_factor_count": lambda c: float(len(c.situation.risk_factors)),
    "options_exhausted": lambda c: bool(c.situation.options_exhausted),
    "needs_multiple_agencies": lambda c: bool(c.situation.needs_multiple_agencies),
    "harm_probable_imminent": lambda c: bool(c.situation.harm_probable_imminent),
    "originating_sector": lambda c: c.sector_of(c.situation.originating_agency_id),
    "sectors_present": lambda c: c.present_sectors,
    "sectors_present_count": lambda c: float(len(c.present_sectors)),
    "agencies_present_count": lambda c: float(len(c.present)),
    "lead_sector": lambda c: c.sector_of(c.situation.lead_agency_id),
    "assisting_sectors": lambda c: sectors(c.session, c.situation.assisting_agency_ids),
    "granted_sectors": lambda c: sectors(c.session, c.situation.granted_agency_ids),
    "meetings_open": lambda c: float(meetings_open(c.session, c.situation)),
    "days_open": lambda c: _days(c.now, c.situation.created_at),
    "open_tasks": lambda c: c.open_tasks,
    "tasks_unexplained": lambda c: c.open_tasks,
    "is_re_presentation": lambda c: c.situation.previous_situation_id is not None,
    "days_since_previous": lambda c: c.days_since_previous(),
    "screening_score": lambda c: float(c.situation.screening_score or 0),
    "conclusion_outcome": lambda c: load_catalog().outcome_of(c.situation.conclusion_reason)
    if c.situation.conclusion_reason else "",
    "rejection_reason": lambda c: c.situation.rejection_reason or "",
    "persons_count": lambda c: float(c.situation.persons_count),
    "seen_before_count": lambda c: float(c.seen.count_here),
    "months_since_last_seen": lambda c: c.seen.months_since_last_seen,
}
assert set(_FACTS) | {"trigger"} <= set(FACT_TYPES), "a fact the rules do not know"


def facts_for(session: Session, situation: Situation, trigger: str, *,
              meeting: Meeting | None = None, now: datetime | None = None,
              names: Iterable[str] | None = None) -> dict[str, Any]:
    """The facts named (every fact when `names` is None) for one trigger, now."""
    context = _Context(session, situation, meeting, now or utcnow())
    wanted = _FACTS if names is None else [n for n in names if n in _FACTS]
    facts = {name: _FACTS[name](context) for name in wanted}
    facts["trigger"] = trigger
    return facts
