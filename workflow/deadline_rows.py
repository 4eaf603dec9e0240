"""The situations' deadline rows, written here and nowhere else: set by a pack's rule or a
plan, met by a command, stopped at closure, claimed by the sweep once they pass.

The business-day arithmetic is workflow/deadlines.py (pure Python, no database); this module
is its database half, so "deadline" is one concept in two halves, not four files.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from workflow import appends
from workflow.db import expire_held, is_postgres
from workflow.models import Deadline, Situation, utcnow


def set_deadline(session: Session, situation: Situation | Any, kind: str, due_at: datetime,
                 rule_id: str, *, rearm: bool = False) -> None:
    """Set (or move, while unmet) the situation's deadline of this kind.

    `rearm`: a met deadline starts again (a pack's rule firing anew, e.g. the next report-back
    after the one a report-back met); without it a met deadline stays met (a new plan does
    not reopen a first contact already made).
    One upsert in the transaction's one write (workflow.appends), in order with the other
    deadline changes; a row this session holds is expired, so it reads what was written.
    """
    values = {"situation_id": situation.id, "kind": kind, "due_at": due_at,
              "rule_id": rule_id, "created_at": utcnow()}
    appends.then(session, object(), _REARM if rearm else _SET,
                 appends.bound(session, Deadline, values), names=(Deadline.__tablename__,))
    _expire_held(session, situation.id, (kind,))
    if kind == "first_contact":
        situation.first_contact_due = due_at


_SET = ("INSERT INTO deadlines (situation_id, kind, due_at, rule_id, created_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (situation_id, kind) DO UPDATE SET "
        "due_at = excluded.due_at, rule_id = excluded.rule_id, overdue_at = NULL "
        "WHERE deadlines.met_at IS NULL")
_REARM = _SET.replace("overdue_at = NULL WHERE deadlines.met_at IS NULL",
                      "overdue_at = NULL, met_at = NULL")


#: What the core's commands meet of the deadline kinds it knows (rules.vocabulary): the plan
#: is the support plan; the first contact reaches the person, so it meets the first contact and
#: a child's emergency protection (otherwise both escalate, however early the agencies came).
MET_BY_PLAN = ("support_plan",)
MET_BY_FIRST_CONTACT = ("first_contact", "emergency_protection")


def meet_deadline(session: Session, situation: Situation | Any,
                  kind: str | tuple[str, ...] | None, at: datetime) -> None:
    """The open deadline of this kind, or of these kinds (every open one when `kind` is None,
    as at closure), is met at `at`: one UPDATE whatever the number, in the one write."""
    met = appends.bound(session, Deadline, {"met_at": at, "situation_id": situation.id})
    kinds = (kind,) if isinstance(kind, str) else kind
    if kinds is None:
        appends.then(session, object(), _MEET_ALL, met, names=(Deadline.__tablename__,))
    else:
        appends.then(session, object(), _meet_kinds(len(kinds)), (*met, *kinds),
                     names=(Deadline.__tablename__,))
    _expire_held(session, situation.id, kinds)


_MEET_ALL = "UPDATE deadlines SET met_at = ? WHERE situation_id = ? AND met_at IS NULL"


def _meet_kinds(count: int) -> str:
    return _MEET_ALL + (" AND kind = ?" if count == 1
                        else f" AND kind IN ({', '.join('?' * count)})")


def _expire_held(session: Session, situation_id: int, kinds: tuple[str, ...] | None) -> None:
    expire_held(session, lambda obj: (isinstance(obj, Deadline)
                                      and obj.situation_id == situation_id
                                      and (kinds is None or obj.kind in kinds)))


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
