"""Retention: destroy the identity of situations that ended longer ago than the table keeps it.

A situation ends when it is closed or withdrawn (`closed_at`) or rejected (`decided_at`).
Once `retention_days` have passed, its key is destroyed first (every backup of the ciphertext
becomes unreadable) and then the ciphertext and the linkage tokens; the de-identified record
stays for reports, and the audit log says when and why, once (`identity.purge`, or
`linkage.purge` for tokens typed at filter 1 of a situation that never had an identity).
Each situation is purged in its own transaction, so a crash loses nothing: the next run finds
what is left (an identity row, or an orphan key).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from workflow import audit, stages
from workflow.db import is_postgres
from workflow.errors import ConcurrentEdit
from workflow.identity import IdentityVault
from workflow.linkage import tokens as linkage_tokens
from workflow.models import (
    IdentityRecord,
    LinkageToken,
    Situation,
    SituationKey,
    Table,
    utcnow,
)
from workflow.runtime import Runtime

FINISHED_STAGES = stages.END_STAGES
REASON = "retention period ended"
_CHUNK = 500


@dataclass(frozen=True)
class PurgeCandidate:
    """A situation whose identity is due for destruction (no identity in here, only ids)."""

    situation_id: int
    ref: str | None
    table_id: int
    stage: str
    ended_at: datetime


@dataclass
class PurgeReport:
    dry_run: bool
    purged: list[PurgeCandidate] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.purged)


def _ended() -> ColumnElement[datetime]:
    return func.coalesce(Situation.closed_at, Situation.decided_at)


def _chunks(values: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def candidates(runtime: Runtime, *, now: datetime | None = None) -> list[PurgeCandidate]:
    """Finished situations past their table's retention that still hold an identity, a key
    or linkage tokens."""
    now = now or utcnow()
    with runtime.keystore() as ks:
        key_ids = sorted(ks.scalars(select(SituationKey.situation_id)))
    found: dict[int, PurgeCandidate] = {}
    with runtime.read() as session:
        tables = session.execute(select(Table.id, Table.retention_days)).all()
        for table_id, retention_days in tables:
            cutoff = now - timedelta(days=retention_days)
            base = select(Situation.id, Situation.ref, Situation.table_id, Situation.stage,
                          _ended().label("ended_at")).where(
                Situation.table_id == table_id, Situation.stage.in_(FINISHED_STAGES),
                _ended() < cutoff)
            has_identity = exists().where(IdentityRecord.situation_id == Situation.id)
            has_tokens = exists().where(LinkageToken.situation_id == Situation.id)
            rows = list(session.execute(base.where(has_identity | has_tokens)))
            for chunk in _chunks(key_ids):
                rows.extend(session.execute(base.where(Situation.id.in_(chunk))))
            for row in rows:
                found[row.id] = PurgeCandidate(row.id, row.ref, row.table_id, row.stage,
                                               row.ended_at)
    return [found[k] for k in sorted(found)]


def purge_one(session: Session, vault: IdentityVault, situation_id: int, *, now: datetime
              ) -> bool:
    """Destroy one situation's identity if it is (still) due; False if there was nothing."""
    query = select(Situation).where(Situation.id == situation_id)
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    situation = session.scalars(query).first()
    if situation is None or situation.stage not in FINISHED_STAGES:
        return False
    # First, and always a write: on SQLite a second purger waits here for the first to commit
    # and then finds nothing left, so a situation is purged (and audited) once.
    forgotten = linkage_tokens.forget(session, situation_id)  # "seen before?" ends here too
    if vault.purge(session, situation, reason=REASON, now=now):
        return True
    if forgotten:  # tokens alone (typed at filter 1, never an identity): audited all the same
        audit.record(session, "linkage.purge", actor=None, situation_id=situation_id,
                     detail={"reason": REASON, "tokens": forgotten}, now=now)
    return forgotten > 0


def purge(runtime: Runtime, *, now: datetime | None = None, dry_run: bool = False,
          progress: Callable[[PurgeCandidate], None] | None = None) -> PurgeReport:
    """Purge every candidate (or, with dry_run, only list them). Safe to run concurrently."""
    now = now or utcnow()
    report = PurgeReport(dry_run=dry_run)
    for candidate in candidates(runtime, now=now):
        if not dry_run:
            try:
                with runtime.command() as session:
                    done = purge_one(session, runtime.vault, candidate.situation_id, now=now)
            except ConcurrentEdit:
                done = False  # another purger removed it at the same moment
            if not done:
                continue
        report.purged.append(candidate)
        if progress is not None:
            progress(candidate)
    return report


def verify_purged(session: Session, vault: IdentityVault, situation_id: int) -> bool:
    """True only if neither the identity ciphertext, nor its key, nor a token exists any more."""
    return (not vault.exists(session, situation_id) and not vault.has_key(situation_id)
            and not linkage_tokens.has_tokens(session, situation_id))
