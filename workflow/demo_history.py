"""Past situations in bulk: a table's history, complete enough for every report figure.

Why: a demo (or a benchmark) needs months of decided and closed situations, and walking each
through the commands would take minutes. These rows are what the commands would have left
behind (stage dates, decision, rejection reason, lead and assisting agencies, first contact,
services, conclusion, risk factors, one transition per step, an open deadline while the
intervention runs), inserted with multi-row INSERTs. No identity, no audit entries, no
notifications: this is the past, already de-identified.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import TableClause, func, insert, select, text
from sqlalchemy.orm import Session

from workflow import follow_up, legal_basis, rulebook, stages
from workflow.demo_profiles import ONTARIO, Profile, Weights
from workflow.models import (
    Agency,
    Deadline,
    DisclosureGrant,
    FollowUp,
    Involvement,
    Situation,
    SituationRiskFactor,
    SituationService,
    Table,
    TableMembership,
    Transition,
    User,
    UserTableScope,
    utcnow,
)
from workflow.reference import Catalog, load_catalog

Progress = Callable[[int], None]
#: One row to insert, by column name.
Record = dict[str, Any]
#: A transition to record: (command, from, to, at, actor, reason).
Step = tuple[str, str, str, datetime, int | None, str | None]


def _pick(rng: random.Random, weights: Weights) -> str:
    codes = list(weights)
    return rng.choices(codes, weights=[weights[c] for c in codes])[0]


def _factors(rng: random.Random, by_category: dict[str, list[str]], favoured: Sequence[str],
             ) -> list[str]:
    """Two to five factors, mostly from the table's usual categories."""
    chosen: list[str] = []
    everything = sorted(c for codes in by_category.values() for c in codes)
    for _ in range(rng.choice((2, 3, 3, 4, 4, 5))):
        pool = (by_category.get(rng.choice(list(favoured)), []) if rng.random() < 0.75
                else everything) or everything
        code = rng.choice(pool)
        if code not in chosen:
            chosen.append(code)
    return chosen


def _members(session: Session, table_id: int) -> list[int]:
    ids = list(session.scalars(select(TableMembership.agency_id)
                               .where(TableMembership.table_id == table_id)
                               .order_by(TableMembership.agency_id)))
    return ids or list(session.scalars(select(Agency.id).order_by(Agency.id)))


def _chair(session: Session, table_id: int) -> int | None:
    return session.scalar(select(User.id).join(UserTableScope, UserTableScope.user_id == User.id)
                          .where(UserTableScope.table_id == table_id, User.role == "chair")
                          .order_by(User.id).limit(1))


def advance_sequences(session: Session) -> None:
    """Explicit ids leave PostgreSQL's sequence behind: move it past them, so the next
    situation a command creates does not collide."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT setval(pg_get_serial_sequence('situations', 'id'), "
                             "(SELECT max(id) FROM situations))"))


@dataclass
class _Past:
    """What every generated situation of one table draws on, gathered once per call."""

    rng: random.Random
    now: datetime
    profile: Profile
    table: Table
    agencies: list[int]
    reps: dict[int | None, int]
    chair: int | None
    by_category: dict[str, list[str]]
    catalog: Catalog
    days: tuple[int, int]
    open_within_days: int
    open_share: float | None
    overdue_share: float


@dataclass
class _Batch:
    """One chunk's rows, per table, inserted together."""

    rows: list[Record] = field(default_factory=list)
    factors: list[Record] = field(default_factory=list)
    involvements: list[Record] = field(default_factory=list)
    services: list[Record] = field(default_factory=list)
    transitions: list[Record] = field(default_factory=list)
    deadlines: list[Record] = field(default_factory=list)


def history(session: Session, table_id: int, n: int, *, profile: Profile = ONTARIO,
            seed: int = 11, now: datetime | None = None, days: tuple[int, int] = (14, 360),
            open_within_days: int = 60, open_share: float | None = None,
            overdue_share: float = 0.01, chunk: int = 5000,
            progress: Progress | None = None) -> int:
    """Insert n past situations of one table, submitted between days[1] and days[0] days ago.

    About 5% are withdrawn before a meeting heard them; of those presented, `accept_share`
    are accepted (the rest rejected with a reason). Accepted situations got a lead and
    usually an assisting agency, services and a first contact (on time nine times in ten);
    they are closed with a conclusion, unless accepted within `open_within_days` and still
    in intervention, with a report-back deadline (overdue for `overdue_share` x 20 of them).
    `open_share` set: only that share of the recent ones is still open, the others closed
    before `now` (a demo's next meeting should not carry dozens of report-backs).
    """
    table = session.get(Table, table_id)
    if table is None:
        raise ValueError(f"no table {table_id}")
    catalog = load_catalog()
    by_category: dict[str, list[str]] = {}
    for code in sorted(catalog.factors):
        by_category.setdefault(catalog.category_of(code), []).append(code)
    agencies = _members(session, table_id)
    past = _Past(
        rng=random.Random(seed), now=now or utcnow(), profile=profile, table=table,
        agencies=agencies, chair=_chair(session, table_id), by_category=by_category,
        reps=dict(session.execute(select(User.agency_id, func.min(User.id))
                                  .where(User.agency_id.in_(agencies))
                                  .group_by(User.agency_id)).tuples().all()),
        catalog=catalog, days=days, open_within_days=open_within_days,
        open_share=open_share, overdue_share=overdue_share)
    follow_up_days = rulebook.pack_for(session, table).settings.get("follow_up_days")
    authority = next((b.code for b in legal_basis.bases_of(session, table)
                      if b.kind == "authority"), None)
    start_id = (session.scalar(select(func.max(Situation.id))) or 0) + 1
    ended: list[int] = []  # closed or rejected earlier: candidates for a re-presentation
    done = 0
    while done < n:
        size = min(chunk, n - done)
        batch = _Batch()
        for k in range(size):
            _one_situation(past, batch, start_id + done + k, ended)
        _insert(session, batch)
        _grants(session, batch.rows, batch.involvements, past.chair, authority)
        _follow_ups(session, past.rng, batch.rows, past.reps, past.now, follow_up_days)
        done += size
        if progress:
            progress(size)
    advance_sequences(session)
    return done


def _one_situation(past: _Past, batch: _Batch, sid: int, ended: list[int]) -> None:
    """One situation's row, risk factors and steps, as far as its story went."""
    rng, profile = past.rng, past.profile
    created = past.now - timedelta(days=rng.randint(min(past.days), max(past.days)),
                                   minutes=rng.randint(0, 1440))
    submitted = created + timedelta(hours=rng.randint(1, 48))
    origin = rng.choice(past.agencies)
    row = {
        "id": sid, "ref": f"{past.table.code}-{sid:06d}", "table_id": past.table.id,
        "originating_agency_id": origin, "created_by_id": past.reps.get(origin),
        "version": 1, "situation_type": _pick(rng, profile.situation_types),
        "age_group": _pick(rng, profile.age_groups),
        "gender": _pick(rng, profile.genders), "summary": profile.summary,
        "persons_count": 1, "options_exhausted": True, "needs_multiple_agencies": True,
        "harm_probable_imminent": True,
        "consent": rng.choice(("given", "given", "given", "refused", "not_possible")),
        "help_source": _pick(rng, profile.help_sources),
        "taxonomy_version": past.catalog.version, "created_at": created,
        "submitted_at": submitted, "updated_at": past.now,
        "previous_situation_id": ended.pop(rng.randrange(len(ended)))
        if ended and rng.random() < profile.re_presented_share else None,
    }
    steps: list[Step] = [("submit", "draft", "submitted", submitted,
                          past.reps.get(origin), None)]
    for i, code in enumerate(_factors(rng, past.by_category, profile.categories)):
        batch.factors.append({"situation_id": sid, "factor_code": code,
                              "category_code": past.catalog.category_of(code),
                              "is_aer_reason": i == 0})
    _filter_two(past, batch, row, steps, submitted, origin)
    if row["stage"] in stages.END_STAGES:
        ended.append(sid)
    batch.rows.append(row)
    for command, source, target, at, actor, reason in steps:
        batch.transitions.append({"situation_id": sid, "command": command,
                                  "from_stage": source, "to_stage": target, "at": at,
                                  "actor_id": actor, "reason": reason, "meeting_id": None})


def _filter_two(past: _Past, batch: _Batch, row: Record, steps: list[Step],
                submitted: datetime, origin: int) -> None:
    """Withdrawn before a meeting, or presented and then withdrawn, accepted or rejected."""
    rng, profile, rep = past.rng, past.profile, past.reps.get(origin)
    presented = submitted + timedelta(days=rng.randint(1, 7), hours=rng.randint(0, 3))
    if rng.random() < 0.05 or presented >= past.now:
        row.update(stage="withdrawn", withdrawal_reason="originator_resolved")
        steps.append(("withdraw", "submitted", "withdrawn", submitted + timedelta(hours=20),
                      rep, "originator_resolved"))
        return
    row.update(presented_at=presented, decided_at=presented)
    steps.append(("present", "submitted", "presented", presented, past.chair, None))
    chance = rng.random()
    if presented.month not in profile.undecided_months:
        chance += profile.undecided_share
    if chance < profile.undecided_share:
        row.update(stage="withdrawn", withdrawal_reason="originator_resolved", decided_at=None)
        steps.append(("withdraw", "presented", "withdrawn", presented + timedelta(days=7),
                      rep, "originator_resolved"))
    elif chance < profile.undecided_share + profile.accept_share:
        _accepted(rng, row, steps, profile, past.agencies, past.reps, past.chair, presented,
                  past.now, past.open_within_days, past.open_share, batch.involvements,
                  batch.services, batch.deadlines, past.overdue_share)
    else:
        reason: str | None = _pick(rng, profile.rejection_reasons)
        row.update(stage="rejected", rejection_reason=reason)
        steps.append(("reject", "presented", "rejected", presented, past.chair, reason))


def _accepted(rng: random.Random, row: Record, steps: list[Step], profile: Profile,
              agencies: list[int], reps: dict[int | None, int], chair: int | None,
              at: datetime, now: datetime,
              open_within_days: int, open_share: float | None, involvements: list[Record],
              services: list[Record],
              deadlines: list[Record], overdue_share: float) -> None:
    """Filters 3 and 4 as the commands would have recorded them, then closure (or not yet)."""
    sid = row["id"]
    lead = rng.choice(agencies)
    helpers = rng.sample([a for a in agencies if a != lead], k=rng.choice((0, 1, 1, 2)))
    due = at + timedelta(hours=profile.first_contact_hours)
    conclusion = _pick(rng, profile.conclusions)
    late = rng.random() < 0.1
    contact = due + timedelta(hours=rng.randint(2, 30)) if late else at + timedelta(
        hours=rng.uniform(1, profile.first_contact_hours - 0.5))
    never_found = conclusion == "still_aer_unable_to_locate"  # no contact, no help
    row.update(accepted_at=at, lead_agency_id=lead, first_contact_due=due,
               first_contact_at=contact if contact < now and not never_found else None)
    steps += [("accept", "presented", "accepted", at, chair, None),
              ("disclose", "accepted", "disclosed", at + timedelta(minutes=5), chair, None),
              ("plan", "disclosed", "intervention", at + timedelta(minutes=15), chair, None)]
    involvements.append({"situation_id": sid, "agency_id": lead, "role": "lead"})
    involvements += [{"situation_id": sid, "agency_id": a, "role": "assisting"} for a in helpers]
    services += [{"situation_id": sid, "service_code": code}
                 for code in rng.sample(list(profile.services), k=rng.randint(1, 3))
                 if not never_found]
    closed = at + timedelta(days=rng.randint(7, 75), hours=rng.randint(0, 6))
    recent = now - at < timedelta(days=open_within_days)
    if open_share is None:
        still_open = closed >= now or (recent and rng.random() < 0.5)
    else:
        still_open = recent and rng.random() < open_share
        if closed >= now:
            closed = at + (now - at) * rng.uniform(0.5, 0.95)
    if still_open:
        row["stage"] = "intervention"
        report_back = rng.random() < overdue_share * 20
        deadlines.append({"situation_id": sid, "kind": "report_back", "rule_id": "history",
                          "due_at": now - timedelta(hours=1) if report_back
                          else now + timedelta(days=rng.randint(1, 14)), "created_at": at})
        return
    row.update(stage="closed", closed_at=closed, conclusion_reason=conclusion)
    steps.append(("report_back", "intervention", "intervention",
                  closed - timedelta(days=rng.randint(1, 6)), reps.get(lead), None))
    steps.append(("close", "intervention", "closed", closed, chair, row["conclusion_reason"]))


def _grants(session: Session, rows: list[Record], involvements: list[Record],
            chair: int | None, authority: str | None) -> None:
    """Filter 3 as the commands leave it: the lead and assisting agencies were granted the
    identity a few minutes after acceptance, on consent where it was given, else on the
    pack's first authority."""
    if chair is None:
        return
    by_id = {row["id"]: row for row in rows}
    grants = []
    for inv in involvements:
        row = by_id.get(inv["situation_id"])
        if row is None or row.get("accepted_at") is None:
            continue
        basis = "consent" if row.get("consent") == legal_basis.CONSENT_GIVEN else authority
        if basis is None:
            continue
        grants.append({"situation_id": row["id"], "agency_id": inv["agency_id"],
                       "granted_by_id": chair, "legal_basis": basis,
                       "granted_at": row["accepted_at"] + timedelta(minutes=5)})
    if grants:
        session.execute(insert(cast(TableClause, DisclosureGrant.__table__)), grants)


def _follow_ups(session: Session, rng: random.Random, rows: list[Record],
                reps: dict[int | None, int], now: datetime, days: object) -> None:
    """After a closure with risk lowered the lead agency was asked, `days` later, whether it
    stayed lowered (the pack's follow_up_days); most answered, as the form asks."""
    if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
        return
    lowered = set(follow_up.risk_lowered_codes())
    asked = []
    for row in rows:
        closed = row.get("closed_at")
        if closed is None or row.get("conclusion_reason") not in lowered:
            continue
        due = closed + timedelta(days=days)
        if due > now:
            continue
        answer = rng.choices(("yes", "no", "not_known", None), (70, 12, 8, 10))[0]
        asked.append({"situation_id": row["id"], "table_id": row["table_id"],
                      "lead_agency_id": row.get("lead_agency_id"), "due_at": due,
                      "reminders_sent": 0 if answer else 1, "answer": answer,
                      "answered_at": due + timedelta(days=3) if answer else None,
                      "answered_by_id": reps.get(row.get("lead_agency_id"))
                      if answer else None})
    if asked:
        session.execute(insert(cast(TableClause, FollowUp.__table__)), asked)


def _insert(session: Session, batch: _Batch) -> None:
    """Fill in the columns some rows left out (multi-row INSERTs want the same keys), then
    one INSERT per table."""
    keys = {key for row in batch.rows for key in row}
    for row in batch.rows:
        for key in keys - row.keys():
            row[key] = None
    session.execute(insert(cast(TableClause, Situation.__table__)), batch.rows)
    for model, records in ((SituationRiskFactor, batch.factors),
                           (Involvement, batch.involvements),
                           (SituationService, batch.services),
                           (Transition, batch.transitions), (Deadline, batch.deadlines)):
        if records:
            session.execute(insert(cast(TableClause, model.__table__)), records)
