"""Follow-up after closure: did the risk stay lowered? The lead agency says, on the pack's clock.

    closed with risk lowered --(follow_up_days later: the sweep)--> asked of the lead agency
    no answer --(every follow_up_reminder_days, at most MAX_REMINDERS times)--> reminded
    answer: yes | no | re_presented | not_known   (a "no" may re-present it at once)

Records measure outputs; this measures whether the outcome held (the sustained share, in
workflow/reports/follow_up.py). A table whose pack has no `follow_up_days` asks nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workflow import access, gatekeeper, rulebook, situations
from workflow.db import is_postgres
from workflow.errors import ValidationError
from workflow.models import FollowUp, Situation, Table, User
from workflow.models.round import FOLLOW_UP_ANSWERS
from workflow.outbox import emit
from workflow.reference import load_catalog

DEFAULT_REMINDER_DAYS = 7.0
MAX_REMINDERS = 3  # the first ask and two reminders; then the answer stays "not given"


def risk_lowered_codes() -> list[str]:
    """Conclusion reasons that count as risk lowered (data: workflow/reference/codes.yaml)."""
    return sorted(code for code, reason in load_catalog().conclusion_reasons.items()
                  if reason.outcome == "risk_lowered")


def _clock(session: Session, table: Table) -> tuple[float, float] | None:
    settings = rulebook.pack_for(session, table).settings
    days = settings.get("follow_up_days")
    if not isinstance(days, int | float) or isinstance(days, bool) or days <= 0:
        return None
    return float(days), float(settings.get("follow_up_reminder_days", DEFAULT_REMINDER_DAYS))


def sweep_table(session: Session, table_id: int, *, now: datetime, limit: int = 500) -> int:
    """Ask for the follow-ups that fell due and remind the late ones. Returns messages sent."""
    table = session.get(Table, table_id)
    if table is None:
        return 0
    clock = _clock(session, table)
    if clock is None:
        return 0
    days, every = clock
    _schedule(session, table, now=now, days=days, limit=limit)
    return _remind(session, table_id, now=now, every=every, limit=limit)


def _schedule(session: Session, table: Table, *, now: datetime, days: float, limit: int) -> None:
    """A follow-up row per closure with risk lowered whose time came (unique per situation).

    Reads only the closures not yet settled (a partial index): each is settled as it is
    looked at, asked or not, so a sweep costs what is new since the last one, not the history.
    """
    rows = session.execute(
        select(Situation.id, Situation.lead_agency_id, Situation.closed_at,
               Situation.conclusion_reason)
        .where(Situation.table_id == table.id, Situation.stage == "closed",
               ~Situation.follow_up_settled,  # as the partial index says it
               Situation.closed_at <= now - timedelta(days=days))
        .order_by(Situation.closed_at, Situation.id).limit(limit)).all()
    if not rows:
        return
    lowered = set(risk_lowered_codes())
    values = [{"situation_id": r.id, "table_id": table.id, "lead_agency_id": r.lead_agency_id,
               "due_at": r.closed_at + timedelta(days=days), "reminders_sent": 0}
              for r in rows if r.conclusion_reason in lowered]
    if values:
        dialect = postgresql if is_postgres(session) else sqlite
        session.execute(dialect.insert(FollowUp).values(values)
                        .on_conflict_do_nothing(index_elements=["situation_id"]))
    session.execute(update(Situation).where(Situation.id.in_([r.id for r in rows]))
                    .values(follow_up_settled=True)
                    .execution_options(synchronize_session=False))


def _remind(session: Session, table_id: int, *, now: datetime, every: float, limit: int) -> int:
    """Each occurrence (the ask, then each reminder) is claimed by compare-and-set: once."""
    pending = session.execute(
        select(FollowUp.id, FollowUp.situation_id, FollowUp.lead_agency_id, FollowUp.due_at,
               FollowUp.reminders_sent)
        .where(FollowUp.table_id == table_id, FollowUp.answer.is_(None),
               FollowUp.reminders_sent < MAX_REMINDERS, FollowUp.due_at <= now)
        .order_by(FollowUp.id).limit(limit)).all()
    sent = 0
    for row in pending:
        if row.due_at + timedelta(days=every * row.reminders_sent) > now:
            continue
        claimed = session.execute(
            update(FollowUp).where(FollowUp.id == row.id,
                                   FollowUp.reminders_sent == row.reminders_sent,
                                   FollowUp.answer.is_(None))
            .values(reminders_sent=row.reminders_sent + 1)
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        situation = session.get(Situation, row.situation_id)
        if situation is None:
            continue
        emit(session, "follow_up.due", table_id=table_id, situation=situation,
             agency_ids=[row.lead_agency_id] if row.lead_agency_id else [], to_chairs=False)
        sent += 1
    return sent


def record(session: Session, actor: User, situation_id: int, answer: str, *,
           re_present: bool = False, now: datetime | None = None
           ) -> tuple[FollowUp, Situation | None]:
    """The one short form: did the risk stay lowered? A "no" may re-present it at once."""
    if answer not in FOLLOW_UP_ANSWERS:
        raise ValidationError("answer yes, no, re_presented or not_known (got %(answer)r)",
                              field="answer", answer=answer)
    if re_present and answer != "no":
        raise ValidationError("only a 'no' re-presents the situation", field="re_present")
    run = gatekeeper.begin(session, actor, "record_follow_up", situation_id, now=now)
    situation = run.situation
    if re_present:  # refuse before anything is recorded
        gatekeeper.require(session, actor, "re_present", situation)
    if situation.conclusion_reason not in risk_lowered_codes():
        raise ValidationError("a follow-up is asked only after a closure with risk lowered",
                              field="answer")
    row = session.scalar(select(FollowUp).where(FollowUp.situation_id == situation.id))
    if row is None:
        row = FollowUp(situation_id=situation.id, table_id=situation.table_id,
                       lead_agency_id=situation.lead_agency_id, due_at=run.now,
                       reminders_sent=0)
        session.add(row)
    row.answer, row.answered_at, row.answered_by_id = answer, run.now, actor.id
    # The report rolls the answers up per closed day: this makes the day dirty until the next
    # refresh (workflow/reports/rollup_measures.py), so the report stays exact.
    situation.updated_at = run.now
    run.record({"answer": answer})
    again = (situations.re_present(session, actor, situation.id, now=run.now)
             if re_present else None)
    session.flush()
    return row, again


def pending_for(session: Session, actor: User) -> list[FollowUp]:
    """Follow-ups waiting on the actor's agency (asked, not answered), for those who may answer
    them (a manager of the agency reads reports only)."""
    if actor.agency_id is None or not access.has_permission(actor, "intervention.record"):
        return []
    return list(session.scalars(select(FollowUp).where(
        FollowUp.lead_agency_id == actor.agency_id, FollowUp.answer.is_(None),
        FollowUp.reminders_sent > 0).order_by(FollowUp.due_at)))


def refs_of(session: Session, pending: list[FollowUp]) -> dict[int, str]:
    """The reference people use (PEEL-000055) of each pending follow-up's situation."""
    ids = {f.situation_id for f in pending}
    if not ids:
        return {}
    rows = session.execute(select(Situation.id, Situation.ref).where(Situation.id.in_(ids)))
    return {sid: ref or str(sid) for sid, ref in rows}


def re_presentable(session: Session, actor: User, pending: list[FollowUp]) -> set[int]:
    """The pending follow-ups whose "no" this actor may also re-present (the originator's)."""
    found = set()
    for f in pending:
        situation = session.get(Situation, f.situation_id)
        if situation is not None and gatekeeper.can(session, actor, "re_present", situation):
            found.add(f.situation_id)
    return found
