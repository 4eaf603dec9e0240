"""Moving a situation one step: the stage check, the version check, the record and the audit.

Every command goes through `move`, so no stage changes without its transition record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session, SessionTransaction

from workflow import appends, audit, stages
from workflow.errors import ConcurrentEdit
from workflow.models import Situation, Transition, User, utcnow

_MOVES = "hubtable.transitions.moves"


@dataclass(frozen=True, slots=True)
class Moved:
    """A transition this command recorded, as the rules read it (its row is in the write).

    Why not a `Transition`: building an ORM object costs 35 µs, a plain record 2 µs, and no
    one reads it through the ORM."""

    id: int
    situation_id: int
    command: str
    from_stage: str
    to_stage: str
    actor_id: int | None
    meeting_id: int | None
    reason: str | None
    at: datetime


def last_move(session: Session, situation: Situation) -> Moved | None:
    """The transition the current command made for this situation, if any."""
    moves: dict[int, Moved] = session.info.get(_MOVES, {})
    return moves.get(situation.id)


@event.listens_for(Session, "after_transaction_end")
def _forget_moves(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_MOVES, None)
        session.info.pop(_BUMPED, None)
        session.info.pop(_BUMPED_NEW, None)


_BUMPED = "hubtable.transitions.bumped"


@event.listens_for(Session, "before_flush")
def _bump_version_once(session: Session, flush_context: object, instances: object) -> None:
    """One version step per transaction for each changed situation, however many flushes.

    The ORM still puts the version in every UPDATE's WHERE (a concurrent writer is caught);
    only the increment is ours, so a command that flushes four times moves it once.
    """
    bumped: set[int] = session.info.setdefault(_BUMPED, set())
    for obj in session.dirty:
        if (isinstance(obj, Situation) and obj.id not in bumped
                and session.is_modified(obj, include_collections=True)):
            obj.version = (obj.version or 0) + 1
            bumped.add(obj.id)
    for obj in session.new:
        if isinstance(obj, Situation):
            obj.version = obj.version or 1
            session.info.setdefault(_BUMPED_NEW, []).append(obj)


_BUMPED_NEW = "hubtable.transitions.bumped_new"


@event.listens_for(Session, "after_flush_postexec")
def _mark_new_bumped(session: Session, flush_context: object) -> None:
    """A situation inserted by this transaction starts at its first version: later changes of
    the same transaction (its reference, say) do not move it."""
    for obj in session.info.pop(_BUMPED_NEW, ()):
        if obj.id is not None:
            session.info.setdefault(_BUMPED, set()).add(obj.id)


@event.listens_for(Session, "after_soft_rollback")
def _forget_bumps(session: Session, previous_transaction: SessionTransaction) -> None:
    """A rolled-back savepoint took its version steps with it: let the next change step again
    (two steps in one transaction are harmless; a change without a step is not)."""
    session.info.pop(_BUMPED, None)


def check_version(situation: Situation, expected_version: int | None) -> None:
    if expected_version is not None and situation.version != expected_version:
        raise ConcurrentEdit(
            "situation %(value)s was changed by someone else (version %(version)s, you had "
            "%(expected_version)s); reload and try again",
            field="version", value=situation.ref or situation.id, version=situation.version,
            expected_version=expected_version,
        )


def move(
    session: Session,
    situation: Situation,
    command: str,
    *,
    actor: User | None,
    now: datetime | None = None,
    meeting_id: int | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
    transition_id: int | None = None,
) -> Moved:
    """Apply `command`'s stage change (or none, for report_back) and record who, when, why."""
    check_version(situation, expected_version)
    source = situation.stage
    target = stages.target_of(command, source)
    now = now or utcnow()
    situation.stage = target
    situation.updated_at = now
    values: dict[str, Any] = {
        "situation_id": situation.id, "command": command, "from_stage": source,
        "to_stage": target, "actor_id": actor.id if actor else None,
        "meeting_id": meeting_id, "reason": reason, "at": now}
    if transition_id is not None:  # taken ahead (the lean path's read): one write carries it
        new_id = transition_id
        appends.add(session, Transition, {"id": new_id, **values})
    else:
        # A plain INSERT, not the unit of work: the record is append-only (the ORM would also
        # load the whole history if it went through the collection).
        new_id = session.connection().execute(
            insert(Transition).returning(Transition.id), values).scalar_one()
    transition = Moved(id=new_id, **values)
    session.info.setdefault(_MOVES, {})[situation.id] = transition
    audit.record(
        session,
        f"situation.{command}",
        actor=actor,
        situation_id=situation.id,
        detail={"from": source, "to": target, "meeting_id": meeting_id, "reason": reason},
        now=now,
    )
    return transition
