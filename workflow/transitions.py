"""Moving a situation one step: the stage check, the version check, the record and the audit.

Every command goes through `move`, so no stage changes without its transition record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from workflow import audit, stages
from workflow.errors import ConcurrentEdit
from workflow.models import Situation, Transition, User, utcnow


def check_version(situation: Situation, expected_version: int | None) -> None:
    if expected_version is not None and situation.version != expected_version:
        raise ConcurrentEdit(
            f"situation {situation.ref or situation.id} was changed by someone else "
            f"(version {situation.version}, you had {expected_version}); reload and try again",
            field="version",
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
    situation.transitions.append(transition)
    audit.record(
        session,
        f"situation.{command}",
        actor=actor,
        situation_id=situation.id,
        detail={"from": source, "to": target, "meeting_id": meeting_id, "reason": reason},
        now=now,
    )
    return transition
