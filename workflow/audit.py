"""Append-only, hash-chained audit log; `verify` finds any edited, inserted or deleted entry.

Each subject has its own chain ("situation:42", "system"), so two commands on different
situations never wait for one another; the chain head row makes a deleted tail visible.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, select, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.types import NullType, TypeEngine

from workflow import appends
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
) -> None:
    """Append one entry. `detail` must be de-identified: it is readable by auditors.

    The entry and its chain head wait in the transaction's one write (workflow.appends): a
    command's entries and its head leave together as it commits. The head is read (and locked,
    on PostgreSQL) once per transaction and chain (or comes with a command's one read).
    """
    chain = chain_for(situation_id)
    heads: dict[str, tuple[int, str]] = session.info.setdefault(_HEADS, {})
    head = heads.get(chain)
    if head is None:
        connection = session.connection()
        query = select(AuditChainHead.seq, AuditChainHead.hash).where(
            AuditChainHead.chain == chain)
        if connection.dialect.name == "postgresql":
            query = query.with_for_update()
        row = connection.execute(query).first()
        head = (row.seq, row.hash) if row is not None else (0, GENESIS)
    seq, prev_hash = head[0] + 1, head[1]
    at = now or utcnow()
    detail = detail or {}
    actor_id = actor.id if actor else None
    digest = _digest(prev_hash, chain, seq, at, actor_id, action, situation_id, detail)
    values = {"chain": chain, "seq": seq, "at": at, "actor_id": actor_id, "action": action,
              "situation_id": situation_id, "detail": detail, "prev_hash": prev_hash,
              "hash": digest}
    appends.add(session, AuditEntry, values)
    # After the entries: two writers of one new chain both try (chain, 1), and the second
    # fails on the entries' unique key before its head is written.
    appends.then(session, ("audit head", chain), _SET_HEAD, (chain, seq, digest),
                 names=(AuditChainHead.__tablename__,))
    heads[chain] = (seq, digest)


def seed_head(session: Session, chain: str, seq: int | None, digest: str | None) -> None:
    """The chain head a command's one read locked and read (workflow.situation_context)."""
    heads: dict[str, tuple[int, str]] = session.info.setdefault(_HEADS, {})
    if chain not in heads and seq is not None and digest is not None:
        heads[chain] = (seq, digest)


_SET_HEAD = ("INSERT INTO audit_chain_heads (chain, seq, hash) VALUES (?, ?, ?) "
             "ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash")

#: The chain heads this transaction has read (and, on PostgreSQL, locked) and written: a
#: command that writes three entries reads its head once. Forgotten at the end of the
#: transaction or of any savepoint, so a rolled-back savepoint never leaves a stale head.
_HEADS = "hubtable.audit.heads"


@event.listens_for(Session, "after_transaction_end")
def _forget_heads(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None or transaction.nested:  # not a flush's own subtransaction
        session.info.pop(_HEADS, None)


@dataclass(frozen=True)
class AuditProblem:
    chain: str
    seq: int
    message: str

    def __str__(self) -> str:
        return f"{self.chain} #{self.seq}: {self.message}"


def verify(session: Session) -> tuple[int, list[AuditProblem]]:
    """Recompute every chain; return (entries checked, problems found).

    Each entry's time and detail are decoded here, one row at a time: a value edited into
    something the column cannot hold (detail that is not JSON, a time that is not one) makes
    that entry an altered one, like any other edit, rather than stopping the check.
    """
    problems: list[AuditProblem] = []
    heads = {h.chain: h for h in session.scalars(select(AuditChainHead))}
    checked = 0
    current_chain: str | None = None
    prev_hash, expected_seq = GENESIS, 1
    last_seen: dict[str, tuple[int, str]] = {}
    dialect = session.get_bind().dialect
    table = AuditEntry.__table__
    decode_at = _decoder(table.c.at.type, dialect)
    decode_detail = _decoder(table.c.detail.type, dialect)
    rows = session.execute(
        select(table.c.chain, table.c.seq, type_coerce(table.c.at, NullType()),
               table.c.actor_id, table.c.action, table.c.situation_id,
               type_coerce(table.c.detail, NullType()), table.c.prev_hash, table.c.hash)
        .order_by(table.c.chain, table.c.seq).execution_options(yield_per=2000)
    )
    for chain, seq, raw_at, actor_id, action, situation_id, raw_detail, prev, digest in rows:
        checked += 1
        if chain != current_chain:
            current_chain, prev_hash, expected_seq = chain, GENESIS, 1
        if seq != expected_seq:
            problems.append(AuditProblem(chain, expected_seq, "entry missing"))
        if prev != prev_hash:
            problems.append(AuditProblem(chain, seq, "link to previous entry broken"))
        try:
            at, detail = decode_at(raw_at), decode_detail(raw_detail)
            intact = _digest(prev, chain, seq, at, actor_id, action, situation_id,
                             detail) == digest
        except (ValueError, TypeError, AttributeError):  # not a time, not JSON
            intact = False
        if not intact:
            problems.append(AuditProblem(chain, seq, "entry was altered"))
        prev_hash, expected_seq = digest, seq + 1
        last_seen[chain] = (seq, digest)
    for chain, head in heads.items():
        seen = last_seen.get(chain)
        if seen is None or seen != (head.seq, head.hash):
            problems.append(AuditProblem(chain, head.seq, "entries at the end were removed"))
    for chain in last_seen.keys() - heads.keys():
        problems.append(AuditProblem(chain, 0, "chain has no head record"))
    return checked, problems


def _decoder(column_type: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """How the column's type turns what the driver returned into a value (as a plain ORM
    read would), applied per row so that one undecodable value fails only its row."""
    process = column_type.dialect_impl(dialect).result_processor(dialect, None)
    return process if process is not None else (lambda value: value)


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
