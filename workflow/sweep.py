"""The timer sweep: find what became due since the last sweep and fire the pack's timer rules.

Four timers, each firing once per occurrence (RuleFiring is unique on situation, rule and
occurrence, so a second sweep, or a second sweeper running at the same moment, fires nothing
again):

- `timer:deadline_passed`: a deadline whose due time passed, still unmet and not yet flagged.
  The sweep claims such deadlines in batches by setting `overdue_at` in one UPDATE (with
  `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two sweepers split the work instead of waiting on
  each other), then fires the timer, and tells the lead agency and the chairs whom the pack's
  rules for it did not already tell (one message each per overdue deadline). The claim reads
  the partial index `ix_deadlines_pending`, so its cost follows the pending deadlines, not the
  situations.
- `timer:due_soon`: pending deadlines within the widest due-soon window of the table's pack.
- `timer:open_meetings`: open situations not yet flagged for it (occurrence constant), at
  tables that closed a meeting recently (only then can the count of meetings change).
- `timer:re_presentation`: open re-presented situations not yet flagged for it.

Two product timers run first: decision rounds past their closing time are decided (each
exactly once: workflow.rounds.close_due), and follow-ups after closure are asked and reminded
on the pack's clock (once per occurrence: workflow.follow_up.sweep_table).

The last two read only open situations (index on table and stage): their cost follows the
table's current workload, never its history. Each batch is one transaction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, selectinload

from workflow import follow_up, rounds, rulebook, stages
from workflow.deadline_rows import claim_passed
from workflow.models import Deadline, Meeting, RuleFiring, Situation, Table, utcnow
from workflow.outbox import emit, emitted_in_transaction
from workflow.runtime import Runtime

BATCH_SIZE = 500
OPEN_STAGES = stages.OPEN_STAGES
ACTIVE_STAGES = stages.FOLLOW_STAGES
OPEN_MEETINGS_OCCURRENCE = "open_meetings"
RE_PRESENTATION_OCCURRENCE = "re_presentation"
# Sweeps run every 15 minutes; two days leaves room for an orchestrator that was down a while.
RECENT_MEETING_WINDOW = timedelta(days=2)


@dataclass
class SweepReport:
    """What one sweep did, in counts only (it goes to logs and to the flow-run record)."""

    overdue: int = 0
    due_soon: int = 0
    open_meetings: int = 0
    re_presentation: int = 0
    fired: int = 0
    rounds_decided: int = 0
    follow_ups: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __str__(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.as_dict().items())


def sweep(runtime: Runtime, *, now: datetime | None = None,
          batch_size: int = BATCH_SIZE) -> SweepReport:
    """One full pass over the four timers; safe to run twice or concurrently."""
    now = now or utcnow()
    report = SweepReport()
    while True:
        with runtime.command() as session:
            claimed, fired = deadlines_passed(session, now=now, limit=batch_size)
        report.overdue += claimed
        report.fired += fired
        if claimed < batch_size:
            break
    while True:
        with runtime.command() as session:
            decided = rounds.close_due(session, now=now, limit=batch_size)
        report.rounds_decided += decided
        if decided < batch_size:
            break
    with runtime.command() as session:
        tables = list(session.scalars(select(Table.id).order_by(Table.id)))
    for table_id in tables:
        with runtime.command() as session:
            report.follow_ups += follow_up.sweep_table(session, table_id, now=now,
                                                       limit=batch_size)
    for table_id in tables:
        for step in (due_soon, open_meetings, re_presentation):
            after_id = 0
            while True:
                with runtime.command() as session:
                    seen, hits, fired, after_id = step(session, table_id, now=now,
                                                       after_id=after_id, limit=batch_size)
                setattr(report, step.__name__, getattr(report, step.__name__) + hits)
                report.fired += fired
                if seen < batch_size:
                    break
    return report


def _situations(session: Session, ids: set[int]) -> dict[int, Situation]:
    """Load a batch's situations with what the rules' facts read, in a handful of queries."""
    if not ids:
        return {}
    rows = session.scalars(
        select(Situation).where(Situation.id.in_(ids)).options(
            selectinload(Situation.risk_factors), selectinload(Situation.tasks),
            selectinload(Situation.involvements), selectinload(Situation.grants),
            selectinload(Situation.table)))
    return {s.id: s for s in rows}


def deadlines_passed(session: Session, *, now: datetime, limit: int = BATCH_SIZE
                     ) -> tuple[int, int]:
    """Claim up to `limit` passed deadlines and fire their timer. Returns (claimed, fired).

    Deadlines of situations that ended meanwhile are claimed too (so the next sweep does not
    read them again) but fire nothing and notify no one.
    """
    claimed = claim_passed(session, now=now, limit=limit)
    situations = _situations(session, {row.situation_id for row in claimed})
    occurrences = {row.id: f"deadline:{row.id}:{int(row.due_at.timestamp())}" for row in claimed}
    # The claim is this sweep's alone (no other sweeper can claim the row): what fired before
    # (a deadline re-armed to the same time) is read once for the batch, and the firings go in
    # the one write instead of one guarded insert each.
    done = _fired(session, {row.situation_id for row in claimed}, set(occurrences.values()))
    fired = 0
    for deadline_id, situation_id, kind, due_at in sorted(claimed, key=lambda r: r.id):
        situation = situations.get(situation_id)
        if situation is None or situation.stage not in OPEN_STAGES:
            continue
        occurrence = occurrences[deadline_id]
        facts = {"deadline_kind": kind, "due_at": due_at.isoformat()}
        told_from = len(emitted_in_transaction(session, situation_id))
        fired += rulebook.fire_timer(
            session, situation, "timer:deadline_passed", occurrence=occurrence, now=now,
            deadline_kind=kind, extra=facts,
            fired_before=frozenset(done.get((situation_id, occurrence), ())))
        _tell_the_rest(session, situation, facts, told_from)
    return len(claimed), fired


def _tell_the_rest(session: Session, situation: Situation, facts: dict[str, str],
                   told_from: int) -> None:
    """The lead and the chairs always hear of an overdue deadline, once: through the pack's
    own notice or escalation when its rule addressed them (the pack says how: a reminder, an
    escalation, in its words), otherwise through this plain overdue notice. In memory: the
    occurrence's events are this transaction's (workflow.outbox), no query per deadline."""
    lead = [situation.lead_agency_id] if situation.lead_agency_id else []
    agencies, chairs = rulebook.not_yet_told(session, situation, lead, True, since=told_from)
    if agencies or chairs:
        emit(session, "deadline.overdue", table_id=situation.table_id, situation=situation,
             agency_ids=agencies, to_chairs=chairs, extra=facts)


def _fired(session: Session, situation_ids: set[int], occurrences: set[str]
           ) -> dict[tuple[int, str], set[str]]:
    """The rules that fired for these occurrences, by (situation, occurrence): one read."""
    done: dict[tuple[int, str], set[str]] = {}
    if not situation_ids:
        return done
    for sid, occ, rule_id in session.execute(
            select(RuleFiring.situation_id, RuleFiring.occurrence, RuleFiring.rule_id).where(
                RuleFiring.situation_id.in_(situation_ids),
                RuleFiring.occurrence.in_(occurrences))):
        done.setdefault((sid, occ), set()).add(rule_id)
    return done


def due_soon(session: Session, table_id: int, *, now: datetime, after_id: int = 0,
             limit: int = BATCH_SIZE) -> tuple[int, int, int, int]:
    """Fire `timer:due_soon` for the table's deadlines inside their pack's window.

    Returns (deadlines read, deadlines that fired something, firings, last deadline id read).
    A deadline whose applicable rules have all fired for this due time is not evaluated again.
    """
    table = session.get(Table, table_id)
    if table is None:
        return 0, 0, 0, after_id
    pack = rulebook.pack_for(session, table)
    windows = pack.due_soon_windows()
    if not windows:
        return 0, 0, 0, after_id
    widest = max(windows.values())
    kinds = None if "" in windows else list(windows)
    query = (
        select(Deadline.id, Deadline.situation_id, Deadline.kind, Deadline.due_at)
        .join(Situation, Situation.id == Deadline.situation_id)
        .where(Deadline.met_at.is_(None), Deadline.overdue_at.is_(None),
               Deadline.due_at >= now, Deadline.due_at < now + timedelta(hours=widest),
               Deadline.id > after_id, Situation.table_id == table_id,
               Situation.stage.in_(OPEN_STAGES))
        .order_by(Deadline.id)
        .limit(limit)
    )
    if kinds is not None:
        query = query.where(Deadline.kind.in_(kinds))
    rows = session.execute(query).all()
    if not rows:
        return 0, 0, 0, after_id
    occurrences = {r.id: f"due_soon:{r.id}:{int(r.due_at.timestamp())}" for r in rows}
    done = _fired(session, {r.situation_id for r in rows}, set(occurrences.values()))
    todo = []
    for row in rows:
        hours_left = (row.due_at - now).total_seconds() / 3600
        applicable = {
            rule.id for rule in pack.rules_for("timer:due_soon")
            if rule.deadline in (None, row.kind) and hours_left <= (rule.within_hours or 0.0)
        }
        if applicable and not applicable <= done.get((row.situation_id, occurrences[row.id]),
                                                     set()):
            todo.append((row, hours_left))
    situations = _situations(session, {row.situation_id for row, _ in todo})
    hits = fired = 0
    for row, hours_left in todo:
        n = rulebook.fire_timer(session, situations[row.situation_id], "timer:due_soon",
                                occurrence=occurrences[row.id], now=now,
                                deadline_kind=row.kind, hours_remaining=hours_left)
        hits += n > 0
        fired += n
    return len(rows), hits, fired, rows[-1].id


def _once_per_situation(session: Session, table_id: int, trigger: str, occurrence: str, *,
                        now: datetime, after_id: int, limit: int, stages: tuple[str, ...],
                        re_presented_only: bool = False) -> tuple[int, int, int, int]:
    """Fire a situation-level timer for open situations none of its rules has fired for."""
    table = session.get(Table, table_id)
    if table is None:
        return 0, 0, 0, after_id
    pack = rulebook.pack_for(session, table)
    rule_ids = [rule.id for rule in pack.rules_for(trigger)]
    if not rule_ids:
        return 0, 0, 0, after_id
    already = exists().where(and_(RuleFiring.situation_id == Situation.id,
                                  RuleFiring.rule_id.in_(rule_ids)))
    query = (
        select(Situation.id)
        .where(Situation.table_id == table_id, Situation.stage.in_(stages),
               Situation.id > after_id, ~already)
        .order_by(Situation.id)
        .limit(limit)
    )
    if re_presented_only:
        query = query.where(Situation.previous_situation_id.is_not(None))
    ids = list(session.scalars(query))
    if not ids:
        return 0, 0, 0, after_id
    situations = _situations(session, set(ids))
    hits = fired = 0
    for sid in ids:
        n = rulebook.fire_timer(session, situations[sid], trigger, occurrence=occurrence,
                                now=now)
        hits += n > 0
        fired += n
    return len(ids), hits, fired, ids[-1]


def open_meetings(session: Session, table_id: int, *, now: datetime, after_id: int = 0,
                  limit: int = BATCH_SIZE) -> tuple[int, int, int, int]:
    """`timer:open_meetings` for situations in intervention (or accepted, disclosed).

    The count of meetings a situation stayed open changes only when the table closes a
    meeting, so only tables that closed one within RECENT_MEETING_WINDOW are read: a sweep
    between two meetings costs nothing however many situations are open.
    """
    closed_recently = session.scalar(select(Meeting.id).where(
        Meeting.table_id == table_id, Meeting.status == "closed",
        Meeting.closed_at >= now - RECENT_MEETING_WINDOW).limit(1))
    if closed_recently is None:
        return 0, 0, 0, after_id
    return _once_per_situation(session, table_id, "timer:open_meetings",
                               OPEN_MEETINGS_OCCURRENCE, now=now, after_id=after_id,
                               limit=limit, stages=ACTIVE_STAGES)


def re_presentation(session: Session, table_id: int, *, now: datetime, after_id: int = 0,
                    limit: int = BATCH_SIZE) -> tuple[int, int, int, int]:
    """`timer:re_presentation` for open situations that re-present an earlier one."""
    return _once_per_situation(session, table_id, "timer:re_presentation",
                               RE_PRESENTATION_OCCURRENCE, now=now, after_id=after_id,
                               limit=limit, stages=OPEN_STAGES, re_presented_only=True)


def count_due(session: Session, *, now: datetime | None = None) -> int:
    """The number of passed, unflagged deadlines: one indexed count (the sweep's baseline)."""
    now = now or utcnow()
    return int(session.scalar(select(func.count()).select_from(Deadline).where(
        Deadline.met_at.is_(None), Deadline.overdue_at.is_(None), Deadline.due_at < now)) or 0)
