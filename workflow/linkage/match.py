"""Finding earlier situations whose tokens are likely the same person, and saying only how
many, when and where: never a name, never another table's details.

Candidates come from the blocking keys (same keyed birth date with day and month unordered, or
same keyed day-month pair with the initials of the name's less common parts), then each is
weighed (evidence.py) and taken when the evidence clears `threshold`. Comparing stored tokens
needs no key: only making new ones does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflow import stages
from workflow.linkage import clk, evidence, parts
from workflow.models import LinkageToken, Situation, Table, utcnow
from workflow.reference import UnknownCode, load_catalog

#: The evidence (bits, evidence.py) needed is log2 of how many people one could be taken for
#: (the tokens stored) plus PRIOR_BITS, and never less than FLOOR_BITS: the more earlier
#: situations, the more chance that someone else shares a birth date and a similar name.
#: PRIOR_BITS was chosen on the synthetic population's seeds A (bench/bench_linkage.py
#: --choose, three seeds pooled), the largest recall with precision >= 0.99 against 100,000
#: earlier situations; the bench reports seed B, which the choice never saw. FLOOR_BITS: at
#: least an exact birth date with names that do not contradict it, however few the earlier
#: situations.
PRIOR_BITS = 0.5
FLOOR_BITS = 12.0
#: Between a token of the first format (a CLK alone) and any other: Dice score at or above this.
LEGACY_THRESHOLD = 0.78
FINISHED = stages.END_STAGES


def threshold(stored: int) -> float:
    return max(FLOOR_BITS, math.log2(max(stored, 1)) + PRIOR_BITS)


def _parsed(raw: bytes) -> parts.Parsed | None:
    structured = clk.structured(raw)
    return parts.parse(structured) if structured else None


def _weigh(a: bytes, pa: parts.Parsed | None, b: bytes, needed: float) -> float | None:
    if clk.structured(a) and clk.structured(b):
        pb = parts.parse(clk.structured(b))
        value = evidence.score(pa, pb) if pa and pb else None
        return value if value is not None and value >= needed else None
    legacy = clk.score(clk.from_bytes(a), clk.from_bytes(b))
    return legacy if legacy >= LEGACY_THRESHOLD else None


def weigh(a: bytes, b: bytes, needed: float) -> float | None:
    """The score of two stored tokens when it clears what is needed, else None. Two tokens
    with the structured part are weighed by evidence.py; a token of the first format (a CLK
    alone) by the earlier Dice rule."""
    return _weigh(a, _parsed(a), b, needed)


def stored_count(session: Session, key_id: int | None) -> int:
    query = select(func.count()).select_from(LinkageToken)
    if key_id is not None:
        query = query.where(LinkageToken.key_id == key_id)
    return int(session.scalar(query) or 0)


def score_candidates(session: Session, probes: list[tuple[bytes, tuple[str, str]]], *,
                     exclude_situation_id: int | None = None, key_id: int | None = None,
                     needed: float | None = None) -> dict[int, float]:
    """situation id -> best score for every stored token matching one of the probes
    (a token's bytes, its two blocking keys); `needed` overrides the threshold (the bench
    uses it to see every score when choosing PRIOR_BITS)."""
    if not probes:
        return {}
    blocks = sorted({b for _, pair in probes for b in pair})
    query = select(LinkageToken.situation_id, LinkageToken.clk).where(
        or_(LinkageToken.block_1.in_(blocks), LinkageToken.block_2.in_(blocks)))
    if exclude_situation_id is not None:
        query = query.where(LinkageToken.situation_id != exclude_situation_id)
    if key_id is not None:
        query = query.where(LinkageToken.key_id == key_id)
    rows = session.execute(query).all()
    if not rows:
        return {}
    if needed is None:
        needed = threshold(stored_count(session, key_id))
    parsed = [(token, _parsed(token)) for token, _ in probes]
    best: dict[int, float] = {}
    for situation_id, stored in rows:
        raw = bytes(stored)  # PostgreSQL hands bytea over as a memoryview
        for token, probe in parsed:
            value = _weigh(token, probe, raw, needed)
            if value is not None and value > best.get(situation_id, -math.inf):
                best[situation_id] = value
    return best


def matches_for(session: Session, situation_id: int) -> dict[int, float]:
    """Other situations likely about a person of this one (situation id -> score)."""
    own = session.execute(select(LinkageToken.clk, LinkageToken.block_1, LinkageToken.block_2,
                                 LinkageToken.key_id)
                          .where(LinkageToken.situation_id == situation_id)).all()
    if not own:
        return {}
    probes = [(bytes(r.clk), (r.block_1, r.block_2)) for r in own]
    return score_candidates(session, probes, exclude_situation_id=situation_id,
                            key_id=own[0].key_id)


@dataclass(frozen=True)
class SeenBefore:
    """What filter 2 may know: counts, a month and an outcome group, a yes/no for the region."""

    count_here: int = 0
    last_closed_month: str | None = None
    last_outcome: str | None = None  # risk_lowered, still_aer, transferred, rejected, withdrawn
    elsewhere_in_region: bool = False
    months_since_last_seen: float = -1.0

    @property
    def any(self) -> bool:
        return self.count_here > 0 or self.elsewhere_in_region


def _ended(s: Situation) -> datetime | None:
    return s.closed_at or s.decided_at if s.stage in FINISHED else None


#: The outcome groups a "seen before" line names, with their English labels (adapters translate).
OUTCOME_LABELS = {"risk_lowered": "risk lowered", "still_aer": "still at acutely elevated risk",
                  "transferred": "transferred", "rejected": "not accepted",
                  "withdrawn": "withdrawn", "closed": "closed"}


def _outcome_group(s: Situation) -> str:
    if s.stage == "closed" and s.conclusion_reason:
        try:
            return load_catalog().outcome_of(s.conclusion_reason)
        except UnknownCode:
            return "closed"
    return s.stage


def same_region_table_ids(session: Session, table: Table) -> set[int]:
    """Other tables of the region (Table.region, within the country: a region's name is free
    text, and two countries may both have a "Central"; the country when the region is not
    set)."""
    query = select(Table.id).where(Table.id != table.id, Table.country == table.country)
    query = query.where(Table.region == table.region) if table.region else \
        query.where(Table.region == "")
    return set(session.scalars(query))


def matched_situations(session: Session, situation: Situation) -> list[Situation]:
    """Matched situations that a table discussed (presented), most recent first."""
    ids = list(matches_for(session, situation.id))
    if not ids:
        return []
    rows = session.scalars(select(Situation).where(Situation.id.in_(ids),
                                                   Situation.presented_at.is_not(None)))
    return sorted(rows, key=lambda s: s.presented_at or s.created_at, reverse=True)


def seen_before(session: Session, situation: Situation, *, now: datetime | None = None
                ) -> SeenBefore:
    found = matched_situations(session, situation)
    if not found:
        return SeenBefore()
    now = now or utcnow()
    here = [s for s in found if s.table_id == situation.table_id]
    region = same_region_table_ids(session, situation.table)
    elsewhere = any(s.table_id in region for s in found)
    finished = sorted((s for s in here if _ended(s)), key=lambda s: _ended(s), reverse=True)  # type: ignore[arg-type, return-value]
    last = finished[0] if finished else None
    months = -1.0
    if here:
        latest = max((_ended(s) or s.presented_at or s.created_at) for s in here)
        months = round(max(0.0, (now - latest).total_seconds() / 86400 / 30.44), 1)
    return SeenBefore(
        count_here=len(here),
        last_closed_month=_ended(last).strftime("%Y-%m") if last else None,  # type: ignore[union-attr]
        last_outcome=_outcome_group(last) if last else None,
        elsewhere_in_region=elsewhere,
        months_since_last_seen=months,
    )
