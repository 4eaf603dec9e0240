"""The bridge from the rule packs (pure, in rules/) to the database: facts in, effects out.

The core asks the table's pack at each command (guards before, other actions after) and at
each timer; every rule that fires is stored with the pack version it fired under, once per
occurrence, so a later edit of the pack never rewrites history and a sweep never fires twice.

    packs.py    which pack a table uses (parsed and compiled once per version and process)
    facts.py    the facts a trigger's rules read, built only as far as they read
    effects.py  firings and their effects (deadlines via workflow.deadlines, outbox, flags)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from rules import model as rm
from rules.engine import evaluate
from workflow.deadline_rows import meet_deadline, set_deadline
from workflow.errors import RuleRefusal
from workflow.models import Meeting, Situation, Task, User, utcnow
from workflow.outbox import emitted_in_transaction
from workflow.rulebook.effects import Notice, apply, audience, not_yet_told
from workflow.rulebook.facts import facts_for, meetings_open, sector_map, sectors
from workflow.rulebook.packs import (
    SHIPPED,
    current_version,
    freeze_shipped,
    install_pack,
    names_read,
    pack_for,
)
from workflow.transitions import Moved, last_move

__all__ = [
    "SHIPPED", "after", "apply", "audience", "check_guards", "current_version", "facts_for",
    "fire_timer", "freeze_shipped", "install_pack", "meet_deadline", "meetings_open", "names_read",
    "not_yet_told", "open_tasks_unexplained", "pack_for", "sector_map", "sectors", "set_deadline",
    "suggested_sectors",
]


def check_guards(session: Session, situation: Situation, command: str, *,
                 now: datetime | None = None, meeting: Meeting | None = None) -> None:
    """Refuse the command if a guard of the table's pack says so (before anything changes)."""
    pack = pack_for(session, situation.table)
    if not pack.rules_for(command):
        return
    facts = facts_for(session, situation, command, meeting=meeting, now=now,
                      names=names_read(pack, command))
    result = evaluate(pack, command, facts)
    if result.guard_failures:
        lang = situation.table.language
        raise RuleRefusal([g.get(lang) for g in result.guard_failures],
                          labels=result.guard_failures)


def after(session: Session, situation: Situation, command: str, *, actor: User | None,
          now: datetime | None = None, meeting: Meeting | None = None,
          transition: Moved | None = None) -> None:
    """Apply the non-guard actions of the command's rules and of the stage it entered.

    `transition`: the move this command made, if the caller has it; its id is the
    occurrence, new in this transaction, so nothing can have fired for it yet.
    """
    now = now or utcnow()
    pack = pack_for(session, situation.table)
    last = transition or last_move(session, situation)
    triggers = [command]
    if last is not None and last.from_stage != last.to_stage:
        triggers.append(f"enter:{situation.stage}")
    triggers = [t for t in triggers if pack.rules_for(t)]
    if not triggers:
        return
    if last is not None and last.id is None:
        session.flush()  # the occurrence is the transition's id
    occurrence = f"t{last.id}" if last is not None and last.id else now.isoformat()
    for trigger in triggers:
        facts = facts_for(session, situation, trigger, meeting=meeting, now=now,
                          names=names_read(pack, trigger))
        apply(session, situation, pack, evaluate(pack, trigger, facts), trigger=trigger,
              occurrence=occurrence, now=now, fresh=transition is not None)


def fire_timer(session: Session, situation: Situation, trigger: str, *, occurrence: str,
               now: datetime, deadline_kind: str | None = None,
               hours_remaining: float | None = None,
               fired_before: frozenset[str] | None = None,
               extra: Mapping[str, Any] | None = None) -> int:
    """Evaluate a timer for one situation; each (rule, occurrence) fires at most once
    (`fired_before`: see workflow.rulebook.effects.apply).

    The occurrence is its own event: what this transaction told before (another deadline of
    the situation, in the same sweep batch) does not silence its notices. `extra`: facts its
    notices carry (workflow.rulebook.effects.Notice).
    """
    pack = pack_for(session, situation.table)
    if not pack.rules_for(trigger):
        return 0
    facts = facts_for(session, situation, trigger, now=now, names=names_read(pack, trigger))
    notice = Notice(extra=dict(extra or {}),
                    told_from=len(emitted_in_transaction(session, situation.id)))
    return apply(session, situation, pack,
                 evaluate(pack, trigger, facts, deadline_kind=deadline_kind,
                          hours_remaining=hours_remaining),
                 trigger=trigger, occurrence=occurrence, now=now, fired_before=fired_before,
                 notice=notice)


def suggested_sectors(session: Session, situation: Situation) -> list[str]:
    """Sectors the pack suggests for disclosure and planning, from the de-identified facts."""
    pack = pack_for(session, situation.table)
    found: list[str] = []
    for trigger in pack.triggers:
        rules = pack.rules_for(trigger)
        if not any(isinstance(a, rm.Suggest) for r in rules for a in r.actions):
            continue
        result = evaluate(pack, trigger, facts_for(session, situation, trigger,
                                                   names=names_read(pack, trigger)))
        for sector in result.suggested_sectors:
            if sector not in found:
                found.append(sector)
    return found


def open_tasks_unexplained(situation: Situation) -> list[Task]:
    return [t for t in situation.tasks if t.status == "open"]
