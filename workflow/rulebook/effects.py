"""What a fired rule does: its firing recorded once per occurrence, then deadlines, notices,
flags and escalations, each written in the command's (or the sweep's) transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from rules import model as rm
from rules.engine import Evaluation
from workflow import appends
from workflow import deadlines as clock
from workflow.deadline_rows import set_deadline
from workflow.models import Agency, Flag, RuleFiring, Situation, TableMembership
from workflow.outbox import emit, emitted_in_transaction


@dataclass(frozen=True)
class Notice:
    """What a firing's notices share. `extra`: facts each of its notices, flags and
    escalations carry (an overdue deadline's kind and due time, so that the one message a
    recipient gets says which clock ran out). `told_from`: this transaction's events about the
    situation before this index belong to other occurrences (a sweep's batch holds several
    deadlines of one situation), so they do not count as having told anyone of this one."""

    extra: Mapping[str, Any] = field(default_factory=dict)
    told_from: int = 0


COMMAND = Notice()  # a command's built-in events and its rules' notices are one occurrence


def apply(session: Session, situation: Situation, pack: rm.RulePack, result: Evaluation, *,
          trigger: str, occurrence: str, now: datetime, fresh: bool = False,
          fired_before: frozenset[str] | None = None, notice: Notice = COMMAND) -> int:
    """Record and carry out the fired rules' effects; each (rule, occurrence) at most once.

    `fresh`: the occurrence is the transition this very transaction inserted, so nothing can
    have fired for it yet (the unique key on situation, rule and occurrence still holds).
    `fired_before`: the rules that already fired for an occurrence this transaction holds
    alone (a deadline the sweep claimed: no other sweeper can fire it), read by the caller.
    """
    hits = [(hit, [a for a in hit.rule.actions if not isinstance(a, rm.Guard)])
            for hit in result.fired]
    hits = [(hit, effects) for hit, effects in hits if effects]
    if not hits:
        return 0
    racing = trigger.startswith("timer:") and fired_before is None
    # A racing timer's insert says itself whether it fired already (ON CONFLICT DO NOTHING);
    # a command's fresh occurrence cannot have fired, and a claimed one's caller has read what
    # did: only a replayed command needs the read.
    if fired_before is not None:
        already = set(fired_before)
    elif fresh or racing:
        already = set()
    else:
        already = set(session.scalars(select(RuleFiring.rule_id).where(
            RuleFiring.situation_id == situation.id, RuleFiring.occurrence == occurrence,
            RuleFiring.rule_id.in_([hit.rule.id for hit, _ in hits]))))
    todo, rows = [], []
    for hit, effects in hits:
        rule = hit.rule
        if rule.id in already:
            continue  # this occurrence already fired: timers fire once
        values = {"situation_id": situation.id, "rule_id": rule.id, "pack_name": pack.name,
                  "pack_version": pack.version, "trigger": trigger, "occurrence": occurrence,
                  "explanation": hit.explanation,
                  "actions": [a.as_dict() for a in effects], "fired_at": now}
        if racing and not _record_firing(session, values):
            continue
        rows.append(values)
        todo.append((rule, effects))
    if rows and not racing:  # its own new transition, or a claimed deadline: no race
        appends.add(session, RuleFiring, rows)
    # Escalations first: a notice to someone an escalation of the same occurrence reached is
    # left out (not_yet_told), so the one message they get is the escalation.
    actions = sorted(((rule, a) for rule, effects in todo for a in effects),
                     key=lambda pair: not isinstance(pair[1], rm.Escalate))
    for rule, action in actions:
        _do(session, situation, pack, rule, action, now, notice)
    return len(todo)


def _record_firing(session: Session, values: dict[str, Any]) -> bool:
    """Insert a timer's firing; False if this (situation, rule, occurrence) already fired.

    Two sweepers may race on one timer occurrence: the unique key decides, quietly (ON
    CONFLICT DO NOTHING, no savepoint needed).
    """
    connection = session.connection()
    make = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = make(RuleFiring).values(values).on_conflict_do_nothing(
        index_elements=["situation_id", "rule_id", "occurrence"])
    return bool(connection.execute(statement).rowcount)


def _do(session: Session, situation: Situation, pack: rm.RulePack, rule: rm.Rule,
        action: Any, now: datetime, notice: Notice) -> None:
    table = situation.table
    if isinstance(action, rm.Deadline):
        # Business days are the table's local calendar days; the table's subdivision only
        # applies to its own country's calendar (a pack may name another country).
        country = pack.country or table.country
        subdivision = pack.subdivision or (table.subdivision if table.country == country
                                           else None)
        due = clock.due_at(now, business_days=action.business_days, hours=action.hours,
                           country=country, subdivision=subdivision, timezone=table.timezone)
        set_deadline(session, situation, action.kind, due, rule.id, rearm=True)
    elif isinstance(action, rm.Notify):
        agencies, chairs = not_yet_told(session, situation, *audience(session, situation,
                                                                      action.to),
                                        since=notice.told_from)
        if not agencies and not chairs:
            return
        emit(session, "rule.notify", table_id=table.id, situation=situation,
             agency_ids=agencies, to_chairs=chairs,
             extra={"rule_id": rule.id, "rule_event": action.event,
                    "rule_label_en": rule.labels.en, "rule_label_vi": rule.labels.vi,
                    **notice.extra})
    elif isinstance(action, rm.Flag):
        active = session.scalar(select(Flag.id).where(
            Flag.situation_id == situation.id, Flag.code == action.code,
            Flag.cleared_at.is_(None)))
        if active is None:
            session.add(Flag(situation_id=situation.id, code=action.code,
                             label_en=action.label.en, label_vi=action.label.vi,
                             rule_id=rule.id, raised_at=now))
            emit(session, "situation.flagged", table_id=table.id, situation=situation,
                 to_chairs=True, extra={"flag_code": action.code, "rule_id": rule.id,
                                        "flag_label_en": action.label.en,
                                        "flag_label_vi": action.label.vi, **notice.extra})
    elif isinstance(action, rm.Escalate):
        agencies, chairs = audience(session, situation, action.to)
        # The pack's own words, in both languages: the delivery picks its reader's (as a
        # flag's label), so the recipient reads what the pack's author asked of them.
        emit(session, "situation.escalated", table_id=table.id, situation=situation,
             agency_ids=agencies, to_chairs=chairs or not agencies,
             extra={"rule_id": rule.id, "escalation_message_en": action.message.en,
                    "escalation_message_vi": action.message.vi, **notice.extra})


def not_yet_told(session: Session, situation: Situation, agencies: list[int], chairs: bool, *,
                 since: int = 0) -> tuple[list[int], bool]:
    """Leave out whoever this same command (or timer occurrence: its events from `since` on)
    already notifies about this situation: one message per recipient and occurrence."""
    pending = emitted_in_transaction(session, situation.id)[since:]
    told = {a for o in pending for a in o.agency_ids}
    return [a for a in agencies if a not in told], chairs and not any(o.to_chairs
                                                                     for o in pending)


def audience(session: Session, situation: Situation, to: str) -> tuple[list[int], bool]:
    """Resolve a pack's audience name to agency ids (and whether the chairs hear of it)."""
    if to == "chair":
        return [], True
    if to == "lead":
        return ([situation.lead_agency_id] if situation.lead_agency_id else []), False
    if to == "assisting":
        return situation.assisting_agency_ids, False
    if to == "granted":
        return sorted(situation.granted_agency_ids), False
    if to == "originating":
        return [situation.originating_agency_id], False
    members = select(TableMembership.agency_id).where(
        TableMembership.table_id == situation.table_id)
    if to == "members":
        return list(session.scalars(members)), False
    # A sector or an agency the table does not have (yet): the chairs hear of it instead, so
    # that a duty the pack names (tell child protection) is never lost for want of an address.
    if to.startswith("sector:"):
        found = list(session.scalars(select(Agency.id).where(
            Agency.sector == to.removeprefix("sector:"), Agency.id.in_(members))))
        return found, not found
    if to.startswith("agency:"):
        found = list(session.scalars(select(Agency.id).where(
            Agency.slug == to.removeprefix("agency:"), Agency.id.in_(members))))
        return found, not found
    return [], True
