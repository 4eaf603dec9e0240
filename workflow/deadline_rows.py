"""The situations' deadline rows, written here and nowhere else: set by a pack's rule or a
plan, met by a command, stopped at closure, claimed by the sweep once they pass.

The business-day arithmetic is workflow/deadlines.py (pure Python, no database); this module
is its database half, so "deadline" is one concept in two halves, not four files.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from workflow.db import is_postgres
from workflow.models import Deadline, Situation


def set_deadline(session: Session, situation: Situation, kind: str, due_at: datetime,
                 rule_id: str) -> Deadline:
    """Set (or move, while unmet) the situation's deadline of this kind."""
    row = next((o for o in session.new if isinstance(o, Deadline)
                and o.situation_id == situation.id and o.kind == kind), None)
    if row is None:
        with session.no_autoflush:  # the command's other changes go in one flush at the end
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


def meet_deadline(session: Session, situation: Situation, kind: str | None,
                  at: datetime) -> None:
    """The open deadline of this kind (every open one when `kind` is None, as at closure) is
    met at `at`: one UPDATE whatever the number, written without flushing the command's other
    changes early; the rows this session holds are kept in step."""
    for obj in list(session.new) + list(session.identity_map.values()):
        if (isinstance(obj, Deadline) and obj.situation_id == situation.id
                and obj.met_at is None and kind in (None, obj.kind)):
            if obj in session.new:
                obj.met_at = at
            else:
                set_committed_value(obj, "met_at", at)
    query = update(Deadline).where(Deadline.situation_id == situation.id,
                                   Deadline.met_at.is_(None))
    if kind is not None:
        query = query.where(Deadline.kind == kind)
    session.connection().execute(query.values(met_at=at))


def claim_passed(session: Session, *, now: datetime, limit: int
                 ) -> list[Row[tuple[int, int, str, datetime]]]:
    """Mark up to `limit` passed, unmet, unclaimed deadlines overdue in one UPDATE and return
    (id, situation_id, kind, due_at) of each. Reads the partial index of pending deadlines,
    so the cost follows what is due, not the history; SKIP LOCKED on PostgreSQL lets two
    sweepers split the work instead of waiting on each other."""
    pending = (
        select(Deadline.id)
        .where(Deadline.met_at.is_(None), Deadline.overdue_at.is_(None), Deadline.due_at < now)
        .order_by(Deadline.due_at, Deadline.id)
        .limit(limit)
    )
    if is_postgres(session):
        pending = pending.with_for_update(skip_locked=True)
    return list(session.execute(
        update(Deadline)
        .where(Deadline.id.in_(pending), Deadline.overdue_at.is_(None))
        .values(overdue_at=now)
        .returning(Deadline.id, Deadline.situation_id, Deadline.kind, Deadline.due_at)
        .execution_options(synchronize_session=False)
    ).all())
