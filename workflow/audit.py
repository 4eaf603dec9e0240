"""Append-only, hash-chained audit log; `verify` finds any edited, inserted or deleted entry.

Each subject has its own chain ("situation:42", "system"), so two commands on different
situations never wait for one another; the chain head row makes a deleted tail visible.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.db import is_postgres
from workflow.models import AuditChainHead, AuditEntry, User, utcnow

GENESIS = "0" * 64


def _digest(prev_hash: str, chain: str, seq: int, at: datetime, actor_id: int | None,
            action: str, situation_id: int | None, detail: dict[str, Any]) -> str:
    body = json.dumps(
        [prev_hash, chain, seq, at.isoformat(), actor_id, action, situation_id, detail],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def chain_for(situation_id: int | None) -> str:
    return f"situation:{situation_id}" if situation_id is not None else "system"


def record(
    session: Session,
    action: str,
    *,
    actor: User | None,
    situation_id: int | None = None,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Append one entry. `detail` must be de-identified: it is readable by auditors."""
    chain = chain_for(situation_id)
    query = select(AuditChainHead).where(AuditChainHead.chain == chain)
    if is_postgres(session):
        query = query.with_for_update()
    head = session.scalars(query).first()
    prev_hash, seq = (head.hash, head.seq + 1) if head else (GENESIS, 1)
    at = now or utcnow()
    detail = detail or {}
    actor_id = actor.id if actor else None
    entry = AuditEntry(
        chain=chain,
        seq=seq,
        at=at,
        actor_id=actor_id,
        action=action,
        situation_id=situation_id,
        detail=detail,
        prev_hash=prev_hash,
        hash=_digest(prev_hash, chain, seq, at, actor_id, action, situation_id, detail),
    )
    session.add(entry)
    if head is None:
        session.add(AuditChainHead(chain=chain, seq=seq, hash=entry.hash))
    else:
        head.seq, head.hash = seq, entry.hash
    return entry


@dataclass(frozen=True)
class AuditProblem:
    chain: str
    seq: int
    message: str

    def __str__(self) -> str:
        return f"{self.chain} #{self.seq}: {self.message}"


def verify(session: Session) -> tuple[int, list[AuditProblem]]:
    """Recompute every chain; return (entries checked, problems found)."""
    problems: list[AuditProblem] = []
    heads = {h.chain: h for h in session.scalars(select(AuditChainHead))}
    checked = 0
    current_chain: str | None = None
    prev_hash, expected_seq = GENESIS, 1
    last_seen: dict[str, tuple[int, str]] = {}
    rows = session.execute(
        select(AuditEntry).order_by(AuditEntry.chain, AuditEntry.seq).execution_options(
            yield_per=2000
        )
    ).scalars()
    for e in rows:
        checked += 1
        if e.chain != current_chain:
            current_chain, prev_hash, expected_seq = e.chain, GENESIS, 1
        if e.seq != expected_seq:
            problems.append(AuditProblem(e.chain, expected_seq, "entry missing"))
        if e.prev_hash != prev_hash:
            problems.append(AuditProblem(e.chain, e.seq, "link to previous entry broken"))
        digest = _digest(
            e.prev_hash, e.chain, e.seq, e.at, e.actor_id, e.action, e.situation_id, e.detail
        )
        if digest != e.hash:
            problems.append(AuditProblem(e.chain, e.seq, "entry was altered"))
        prev_hash, expected_seq = e.hash, e.seq + 1
        last_seen[e.chain] = (e.seq, e.hash)
    for chain, head in heads.items():
        seen = last_seen.get(chain)
        if seen is None or seen != (head.seq, head.hash):
            problems.append(AuditProblem(chain, head.seq, "entries at the end were removed"))
    for chain in last_seen.keys() - heads.keys():
        problems.append(AuditProblem(chain, 0, "chain has no head record"))
    return checked, problems


def refusals(session: Session, *, user_id: int | None = None, start: datetime | None = None,
             end: datetime | None = None, limit: int = 10_000) -> list[AuditEntry]:
    """Every refused attempt (identity reads and writes above all), by user and period."""
    query = select(AuditEntry).where(AuditEntry.action.like("%\\_refused", escape="\\"))
    if user_id is not None:
        query = query.where(AuditEntry.actor_id == user_id)
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if end is not None:
        query = query.where(AuditEntry.at < end)
    return list(session.scalars(query.order_by(AuditEntry.at, AuditEntry.id).limit(limit)))
