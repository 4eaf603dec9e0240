"""Moving a situation one step: the stage check, the version check, the record and the audit.

Every command goes through `move`, so no stage changes without its transition record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from workflow import audit, stages
from workflow.errors import ConcurrentEdit
from workflow.models import Situation, Transition, User, utcnow

_MOVES = "hubtable.transitions.moves"


def last_move(session: Session, situation: Situation) -> Transition | None:
    """The transition the current command made for this situation, if any."""
    moves: dict[int, Transition] = session.info.get(_MOVES, {})
    return moves.get(situation.id)


@event.listens_for(Session, "after_transaction_end")
def _forget_moves(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_MOVES, None)


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
) -> Transition:
    """Apply `command`'s stage change (or none, for report_back) and record who, when, why."""
    check_version(situation, expected_version)
    source = situation.stage
    target = stages.target_of(command, source)
    now = now or utcnow()
    situation.stage = target
    situation.updated_at = now
    transition = Transition(
        command=command,
        from_stage=source,
        to_stage=target,
        actor_id=actor.id if actor else None,
        meeting_id=meeting_id,
        reason=reason,
        at=now,
    )
    transition.situation_id = situation.id
    session.add(transition)  # not via the collection: that would load the whole history
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
