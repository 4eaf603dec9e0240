"""The bridge from the rule packs (pure, in rules/) to the database: facts in, effects out.

The core asks the table's pack at each command (guards before, other actions after) and at
each timer; every rule that fires is stored with the pack version it fired under, once per
occurrence, so a later edit of the pack never rewrites history and a sweep never fires twice.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction

from rules import model as rm
from rules.engine import Evaluation, evaluate
from rules.loader import RulePackError, load_pack, load_shipped_pack
from workflow import deadlines as clock
from workflow.errors import PackRefused, RuleRefusal
from workflow.linkage.match import seen_before
from workflow.models import (
    Agency,
    Deadline,
    Flag,
    Meeting,
    RuleFiring,
    RulePackRecord,
    Situation,
    Table,
    TableMembership,
    Task,
    Transition,
    User,
    utcnow,
)
from workflow.outbox import emit, emitted_in_transaction
from workflow.reference import load_catalog
from workflow.transitions import last_move

SHIPPED = {"ontario-four-filter": "ontario", "vn-gbv-child-protection": "vietnam"}


@lru_cache(maxsize=64)
def _parse(name: str, version: str, source: str) -> rm.RulePack:
    return load_pack(source, source_name=f"{name}@{version}")


_installed: dict[tuple[str, str, str], rm.RulePack] = {}


def pack_for(session: Session, table: Table) -> rm.RulePack:
    """The pack version the table uses, from the database (as installed) or as shipped.

    An installed version never changes (install_pack refuses that), so it is read once per
    database and process.
    """
    key = (str(session.get_bind().engine.url), table.rule_pack_name, table.rule_pack_version)
    pack = _installed.get(key)
    if pack is not None:
        return pack
    source = session.scalar(select(RulePackRecord.source).where(
        RulePackRecord.name == table.rule_pack_name,
        RulePackRecord.version == table.rule_pack_version))
    if source is None:
        pack = load_shipped_pack(SHIPPED.get(table.rule_pack_name, table.rule_pack_name))
    else:
        pack = _parse(table.rule_pack_name, table.rule_pack_version, source)
    _installed[key] = pack
    return pack


def current_version(name: str) -> str:
    """The version of a shipped pack as shipped now (a new table starts on it); "1.0" for a
    pack that is not shipped."""
    short = SHIPPED.get(name)
    return load_shipped_pack(short).version if short else "1.0"


def install_pack(session: Session, source: str, *, source_name: str = "pack") -> RulePackRecord:
    """Validate and store a pack version; an installed version is immutable."""
    try:
        pack = load_pack(source, source_name=source_name)
    except RulePackError as error:  # adapters hear of it as a domain error, problems listed
        raise PackRefused([str(p) for p in error.problems]) from None
    row = session.scalar(select(RulePackRecord).where(
        RulePackRecord.name == pack.name, RulePackRecord.version == pack.version))
    if row is None:
        row = RulePackRecord(name=pack.name, version=pack.version, source=source)
        session.add(row)
    elif row.source != source:
        raise ValueError(
            f"pack {pack.name} version {pack.version} is already installed with other "
            "content: give the edited pack a new version"
        )
    return row


# -- facts ------------------------------------------------------------------------------------
_SECTORS = "hubtable.rulebook.sectors"


@event.listens_for(Session, "after_transaction_end")
def _forget_sectors(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_SECTORS, None)


def _sector_map(session: Session) -> dict[int, str]:
    """Every agency's sector, read once per transaction (facts need it several times)."""
    cached = session.info.get(_SECTORS)
    if cached is None:
        cached = dict(session.execute(select(Agency.id, Agency.sector)).tuples().all())
        session.info[_SECTORS] = cached
    return cached


def _sectors(session: Session, agency_ids: set[int] | list[int]) -> list[str]:
    sectors = _sector_map(session)
    return sorted({sectors[a] for a in agency_ids if a in sectors})


def meetings_open(session: Session, situation: Situation) -> int:
    """Meetings the table has held since it accepted the situation."""
    if situation.accepted_at is None:
        return 0
    end = situation.closed_at
    query = select(func.count(Meeting.id)).where(
        Meeting.table_id == situation.table_id, Meeting.status == "closed",
        Meeting.scheduled_at > situation.accepted_at)
    if end is not None:
        query = query.where(Meeting.scheduled_at <= end)
    return int(session.scalar(query) or 0)


def facts_for(session: Session, situation: Situation, trigger: str, *,
              meeting: Meeting | None = None, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    catalog = load_catalog()
    table = situation.table
    factors = [f.factor_code for f in situation.risk_factors]
    present = meeting.present_agency_ids() if meeting is not None else set()
    present_sectors = _sectors(session, present)
    sectors = _sector_map(session)
    lead_sector = sectors.get(situation.lead_agency_id or 0, "")
    previous_days = -1.0
    if situation.previous_situation_id:
        prev = session.get(Situation, situation.previous_situation_id)
        if prev is not None:
            ended = prev.closed_at or prev.decided_at or prev.created_at
            previous_days = max(0.0, (now - ended).total_seconds() / 86400)
    open_tasks = [t for t in situation.tasks if t.status == "open"]
    seen = seen_before(session, situation, now=now)
    origin_sector = sectors.get(situation.originating_agency_id, "")
    return {
        "stage": situation.stage,
        "trigger": trigger,
        "table_country": table.country,
        "age_group": situation.age_group,
        "is_child": catalog.is_child(situation.age_group),
        "is_minor": catalog.is_minor(situation.age_group),
        "gender": situation.gender,
        "situation_type": situation.situation_type,
        "consent": situation.consent or "",
        "risk_factors": factors,
        "risk_categories": sorted({f.category_code for f in situation.risk_factors}),
        "aer_reasons": [f.factor_code for f in situation.risk_factors if f.is_aer_reason],
        "risk_factor_count": float(len(factors)),
        "options_exhausted": bool(situation.options_exhausted),
        "needs_multiple_agencies": bool(situation.needs_multiple_agencies),
        "harm_probable_imminent": bool(situation.harm_probable_imminent),
        "originating_sector": origin_sector,
        "sectors_present": present_sectors,
        "sectors_present_count": float(len(present_sectors)),
        "agencies_present_count": float(len(present)),
        "lead_sector": lead_sector,
        "assisting_sectors": _sectors(session, situation.assisting_agency_ids),
        "granted_sectors": _sectors(session, situation.granted_agency_ids),
        "meetings_open": float(meetings_open(session, situation)),
        "days_open": max(0.0, (now - situation.created_at).total_seconds() / 86400),
        "open_tasks": float(len(open_tasks)),
        "tasks_unexplained": float(len(open_tasks)),
        "is_re_presentation": situation.previous_situation_id is not None,
        "days_since_previous": previous_days,
        "screening_score": float(situation.screening_score or 0),
        "conclusion_outcome": catalog.outcome_of(situation.conclusion_reason)
        if situation.conclusion_reason else "",
        "rejection_reason": situation.rejection_reason or "",
        "persons_count": float(situation.persons_count),
        "seen_before_count": float(seen.count_here),
        "months_since_last_seen": seen.months_since_last_seen,
    }


# -- commands' hooks ----------------------------------------------------------------------------
def check_guards(session: Session, situation: Situation, command: str, *,
                 now: datetime | None = None, meeting: Meeting | None = None) -> None:
    """Refuse the command if a guard of the table's pack says so (before anything changes)."""
    pack = pack_for(session, situation.table)
    if not pack.rules_for(command):
        return
    result = evaluate(pack, command, facts_for(session, situation, command, meeting=meeting,
                                               now=now))
    if result.guard_failures:
        lang = situation.table.language
        raise RuleRefusal([g.get(lang) if hasattr(g, "get") else str(g)
                           for g in result.guard_failures])


def after(session: Session, situation: Situation, command: str, *, actor: User | None,
          now: datetime | None = None, meeting: Meeting | None = None,
          transition: Transition | None = None) -> None:
    """Apply the non-guard actions of the command's rules and of the stage it entered."""
    now = now or utcnow()
    session.flush()
    pack = pack_for(session, situation.table)
    last = transition or last_move(session, situation)
    occurrence = f"t{last.id}" if last is not None and last.id else now.isoformat()
    triggers = [command]
    if last is not None and last.from_stage != last.to_stage:
        triggers.append(f"enter:{situation.stage}")
    for trigger in triggers:
        if not pack.rules_for(trigger):
            continue
        facts = facts_for(session, situation, trigger, meeting=meeting, now=now)
        apply(session, situation, pack, evaluate(pack, trigger, facts), trigger=trigger,
              occurrence=occurrence, now=now)


def fire_timer(session: Session, situation: Situation, trigger: str, *, occurrence: str,
               now: datetime, deadline_kind: str | None = None,
               hours_remaining: float | None = None) -> int:
    """Evaluate a timer for one situation; each (rule, occurrence) fires at most once."""
    pack = pack_for(session, situation.table)
    if not pack.rules_for(trigger):
        return 0
    facts = facts_for(session, situation, trigger, now=now)
    return apply(session, situation, pack,
                 evaluate(pack, trigger, facts, deadline_kind=deadline_kind,
                          hours_remaining=hours_remaining),
                 trigger=trigger, occurrence=occurrence, now=now)


def apply(session: Session, situation: Situation, pack: rm.RulePack, result: Evaluation, *,
          trigger: str, occurrence: str, now: datetime) -> int:
    hits = [(hit, [a for a in hit.rule.actions if not isinstance(a, rm.Guard)])
            for hit in result.fired]
    hits = [(hit, effects) for hit, effects in hits if effects]
    if not hits:
        return 0
    already = set(session.scalars(select(RuleFiring.rule_id).where(
        RuleFiring.situation_id == situation.id, RuleFiring.occurrence == occurrence,
        RuleFiring.rule_id.in_([hit.rule.id for hit, _ in hits]))))
    fired = 0
    for hit, effects in hits:
        rule = hit.rule
        if rule.id in already:
            continue  # this occurrence already fired: timers fire once
        firing = RuleFiring(
            situation_id=situation.id, rule_id=rule.id, pack_name=pack.name,
            pack_version=pack.version, trigger=trigger, occurrence=occurrence,
            explanation=hit.explanation, actions=[a.as_dict() for a in effects], fired_at=now)
        if trigger.startswith("timer:"):
            # Two sweepers may race on one occurrence: the unique key decides, quietly.
            try:
                with session.begin_nested():
                    session.add(firing)
                    session.flush()
            except IntegrityError:
                continue
        else:
            session.add(firing)  # a command's occurrence is its own transition: no race
        fired += 1
        for action in effects:
            _do(session, situation, pack, rule, action, now)
    return fired


def _do(session: Session, situation: Situation, pack: rm.RulePack, rule: rm.Rule,
        action: Any, now: datetime) -> None:
    table = situation.table
    if isinstance(action, rm.Deadline):
        due = clock.due_at(now, business_days=action.business_days, hours=action.hours,
                           country=pack.country or table.country,
                           subdivision=pack.subdivision or table.subdivision)
        set_deadline(session, situation, action.kind, due, rule.id)
    elif isinstance(action, rm.Notify):
        agencies, chairs = _not_yet_told(session, situation, *audience(session, situation,
                                                                       action.to))
        if not agencies and not chairs:
            return
        emit(session, "rule.notify", table_id=table.id, situation=situation,
             agency_ids=agencies, to_chairs=chairs,
             extra={"rule_id": rule.id, "rule_event": action.event})
    elif isinstance(action, rm.Flag):
        active = session.scalar(select(Flag.id).where(
            Flag.situation_id == situation.id, Flag.code == action.code,
            Flag.cleared_at.is_(None)))
        if active is None:
            session.add(Flag(situation_id=situation.id, code=action.code,
                             label_en=action.label.en, label_vi=action.label.vi,
                             rule_id=rule.id, raised_at=now))
            emit(session, "situation.flagged", table_id=table.id, situation=situation,
                 to_chairs=True, extra={"flag_code": action.code, "rule_id": rule.id})
    elif isinstance(action, rm.Escalate):
        agencies, chairs = audience(session, situation, action.to)
        emit(session, "situation.escalated", table_id=table.id, situation=situation,
             agency_ids=agencies, to_chairs=chairs or not agencies,
             extra={"rule_id": rule.id})


def _not_yet_told(session: Session, situation: Situation, agencies: list[int], chairs: bool
                  ) -> tuple[list[int], bool]:
    """Leave out whoever this same command already notifies about this situation."""
    pending = [o for o in emitted_in_transaction(session) if o.situation_id == situation.id]
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
    if to.startswith("sector:"):
        return list(session.scalars(select(Agency.id).where(
            Agency.sector == to.removeprefix("sector:"), Agency.id.in_(members)))), False
    if to.startswith("agency:"):
        return list(session.scalars(select(Agency.id).where(
            Agency.slug == to.removeprefix("agency:"), Agency.id.in_(members)))), False
    return [], True


# -- deadlines ----------------------------------------------------------------------------------
def set_deadline(session: Session, situation: Situation, kind: str, due_at: datetime,
                 rule_id: str) -> Deadline:
    row = session.scalar(select(Deadline).where(Deadline.situation_id == situation.id,
                                                Deadline.kind == kind))
    if row is None:
        row = Deadline(situation_id=situation.id, kind=kind, due_at=due_at, rule_id=rule_id)
        session.add(row)
    elif row.met_at is None:
        row.due_at, row.rule_id, row.overdue_at = due_at, rule_id, None
    if kind == "first_contact":
        situation.first_contact_due = due_at
    return row


def meet_deadline(session: Session, situation: Situation, kind: str, at: datetime) -> None:
    row = session.scalar(select(Deadline).where(Deadline.situation_id == situation.id,
                                                Deadline.kind == kind,
                                                Deadline.met_at.is_(None)))
    if row is not None:
        row.met_at = at


def suggested_sectors(session: Session, situation: Situation) -> list[str]:
    """Sectors the pack suggests for disclosure and planning, from the de-identified facts."""
    pack = pack_for(session, situation.table)
    sectors: list[str] = []
    for trigger in pack.triggers:
        rules = pack.rules_for(trigger)
        if not any(isinstance(a, rm.Suggest) for r in rules for a in r.actions):
            continue
        result = evaluate(pack, trigger, facts_for(session, situation, trigger))
        for sector in result.suggested_sectors:
            if sector not in sectors:
                sectors.append(sector)
    return sectors


def open_tasks_unexplained(situation: Situation) -> list[Task]:
    return [t for t in situation.tasks if t.status == "open"]
