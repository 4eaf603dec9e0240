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

from workflow import stages
from workflow.models import (
    Agency,
    Deadline,
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
from workflow.reference import load_catalog

Progress = Callable[[int], None]
Weights = dict[str, float]
#: One row to insert, by column name.
Record = dict[str, Any]
#: A transition to record: (command, from, to, at, actor, reason).
Step = tuple[str, str, str, datetime, int | None, str | None]


@dataclass(frozen=True)
class Profile:
    """Who a table tends to see and how its decisions tend to go (weights, not rules)."""

    age_groups: Weights
    genders: Weights
    help_sources: Weights
    categories: Sequence[str]  # risk categories seen most often
    services: Sequence[str]
    rejection_reasons: Weights = field(default_factory=lambda: {
        "single_agency": 5, "not_aer": 4, "already_handled": 2, "information_only": 1})
    conclusions: Weights = field(default_factory=lambda: {
        "lowered_connected": 8, "lowered_informed": 3, "lowered_other": 1,
        "still_aer_refused": 2, "still_aer_unable_to_locate": 1, "still_aer_other": 1,
        "transferred": 2})
    situation_types: Weights = field(default_factory=lambda: {
        "person": 6, "family": 3, "dwelling": 1, "neighbourhood": 0.3})
    accept_share: float = 0.76
    # presented, then withdrawn before the table decided: it happens in bursts (a holiday
    # month's deferrals), so most months have none and the others several
    undecided_share: float = 0.16
    undecided_months: tuple[int, ...] = (1, 4, 7, 10)
    first_contact_hours: float = 48.0  # the deadline after acceptance
    re_presented_share: float = 0.06
    summary: str = "De-identified: several risks rising together; own options exhausted."


ONTARIO = Profile(
    age_groups={"12-15": 2, "16-17": 3, "18-24": 6, "25-29": 5, "30-39": 6, "40-59": 6,
                "60+": 3},
    genders={"male": 11, "female": 8, "other": 0.4, "unknown": 0.6},
    help_sources={"police": 5, "agency_referral": 6, "self": 1, "other": 1},
    categories=("mental_health", "drugs", "alcohol", "criminal_involvement", "housing",
                "physical_violence", "basic_needs", "unemployment", "suicide"),
    services=("counselling", "mental_health", "housing", "addiction", "income_support",
              "police_follow_up", "medical_care"),
)

VIETNAM = Profile(
    age_groups={"0-5": 2, "6-11": 5, "12-15": 6, "16-17": 3, "18-24": 3, "25-29": 3,
                "30-39": 4, "40-59": 2},
    genders={"female": 14, "male": 6, "unknown": 0.5},
    help_sources={"hotline_111": 6, "hotline_18008065": 3, "police": 3, "self": 2,
                  "agency_referral": 3},
    categories=("physical_violence", "emotional_violence", "sexual_violence", "parenting",
                "supervision", "missing_school", "poverty", "alcohol"),
    services=("child_protection", "shelter", "counselling", "legal_aid", "medical_care",
              "victim_services", "education_support"),
    rejection_reasons={"single_agency": 4, "already_handled": 3, "not_aer": 3,
                       "information_only": 1},
    first_contact_hours=24.0,  # children at risk: help within hours, a day at most
    summary="Đã khử định danh: nhiều nguy cơ cùng tăng; gia đình đã hết cách tự xoay xở.",
)


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
    rng = random.Random(seed)
    now = now or utcnow()
    catalog = load_catalog()
    by_category: dict[str, list[str]] = {}
    for code in sorted(catalog.factors):
        by_category.setdefault(catalog.category_of(code), []).append(code)
    table = session.get(Table, table_id)
    if table is None:
        raise ValueError(f"no table {table_id}")
    agencies = _members(session, table_id)
    reps = dict(session.execute(select(User.agency_id, func.min(User.id))
                                .where(User.agency_id.in_(agencies))
                                .group_by(User.agency_id)).tuples().all())
    chair = _chair(session, table_id)
    start_id = (session.scalar(select(func.max(Situation.id))) or 0) + 1
    ended: list[int] = []  # closed or rejected earlier: candidates for a re-presentation
    done = 0
    while done < n:
        size = min(chunk, n - done)
        rows: list[Record] = []
        factors: list[Record] = []
        involvements: list[Record] = []
        services: list[Record] = []
        transitions: list[Record] = []
        deadlines: list[Record] = []
        for k in range(size):
            sid = start_id + done + k
            created = now - timedelta(days=rng.randint(min(days), max(days)),
                                      minutes=rng.randint(0, 1440))
            submitted = created + timedelta(hours=rng.randint(1, 48))
            origin = rng.choice(agencies)
            row = {
                "id": sid, "ref": f"{table.code}-{sid:06d}", "table_id": table_id,
                "originating_agency_id": origin, "created_by_id": reps.get(origin),
                "version": 1, "situation_type": _pick(rng, profile.situation_types),
                "age_group": _pick(rng, profile.age_groups),
                "gender": _pick(rng, profile.genders), "summary": profile.summary,
                "persons_count": 1, "options_exhausted": True, "needs_multiple_agencies": True,
                "harm_probable_imminent": True,
                "consent": rng.choice(("given", "given", "given", "refused", "not_possible")),
                "help_source": _pick(rng, profile.help_sources),
                "taxonomy_version": catalog.version, "created_at": created,
                "submitted_at": submitted, "updated_at": now,
                "previous_situation_id": ended.pop(rng.randrange(len(ended)))
                if ended and rng.random() < profile.re_presented_share else None,
            }
            steps: list[Step] = [("submit", "draft", "submitted", submitted,
                                  reps.get(origin), None)]
            codes = _factors(rng, by_category, profile.categories)
            for i, code in enumerate(codes):
                factors.append({"situation_id": sid, "factor_code": code,
                                "category_code": catalog.category_of(code),
                                "is_aer_reason": i == 0})
            presented = submitted + timedelta(days=rng.randint(1, 7), hours=rng.randint(0, 3))
            if rng.random() < 0.05 or presented >= now:
                row.update(stage="withdrawn", withdrawal_reason="originator_resolved")
                steps.append(("withdraw", "submitted", "withdrawn",
                              submitted + timedelta(hours=20), reps.get(origin),
                              "originator_resolved"))
            else:
                row.update(presented_at=presented, decided_at=presented)
                steps.append(("present", "submitted", "presented", presented, chair, None))
                chance = rng.random()
                if presented.month not in profile.undecided_months:
                    chance += profile.undecided_share
                if chance < profile.undecided_share:
                    row.update(stage="withdrawn", withdrawal_reason="originator_resolved",
                               decided_at=None)
                    steps.append(("withdraw", "presented", "withdrawn",
                                  presented + timedelta(days=7), reps.get(origin),
                                  "originator_resolved"))
                elif chance < profile.undecided_share + profile.accept_share:
                    _accepted(rng, row, steps, profile, agencies, reps, chair, presented, now,
                              open_within_days, open_share, involvements, services,
                              deadlines, overdue_share)
                else:
                    reason: str | None = _pick(rng, profile.rejection_reasons)
                    row.update(stage="rejected", rejection_reason=reason)
                    steps.append(("reject", "presented", "rejected", presented, chair, reason))
            if row["stage"] in stages.END_STAGES:
                ended.append(sid)
            rows.append(row)
            for command, source, target, at, actor, reason in steps:
                transitions.append({"situation_id": sid, "command": command,
                                    "from_stage": source, "to_stage": target, "at": at,
                                    "actor_id": actor, "reason": reason, "meeting_id": None})
        _insert(session, rows, factors, involvements, services, transitions, deadlines)
        done += size
        if progress:
            progress(size)
    advance_sequences(session)
    return done


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


def _insert(session: Session, rows: list[Record], factors: list[Record], involvements: list[Record],
            services: list[Record], transitions: list[Record], deadlines: list[Record]) -> None:
    """Fill in the columns some rows left out (multi-row INSERTs want the same keys), then
    one INSERT per table."""
    keys = {key for row in rows for key in row}
    for row in rows:
        for key in keys - row.keys():
            row[key] = None
    session.execute(insert(cast(TableClause, Situation.__table__)), rows)
    for model, batch in ((SituationRiskFactor, factors), (Involvement, involvements),
                         (SituationService, services), (Transition, transitions),
                         (Deadline, deadlines)):
        if batch:
            session.execute(insert(cast(TableClause, model.__table__)), batch)
