"""A generated data set for the rollup tests: a few hundred situations with random facts and
times down to the microsecond, on two tables, spread so that many cells are small (1 to 4),
some are exactly the threshold, some zero, and shares fall on both sides of suppression; with
self-identified equity answers and follow-up answers (asked, answered or not asked) spread
the same way."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from reports.dataset import _situation
from workflow.equity import DIMENSIONS
from workflow.follow_up import risk_lowered_codes
from workflow.models import EquityAnswer, FollowUp, Situation
from workflow.reference import load_catalog

FIRST = datetime(2025, 11, 20, tzinfo=UTC)
SPAN_DAYS = 110
ORIGINS = ("police", "cas", "school", "hospital", "cmha", "housing")


def _at(rng: random.Random, start: datetime, days: float) -> datetime:
    return start + timedelta(seconds=rng.random() * days * 86400,
                             microseconds=rng.randrange(1_000_000))


def generate(world, *, seed: int = 17, n: int = 240) -> None:
    catalog = load_catalog()
    rng = random.Random(seed)
    extra = random.Random(seed + 1)
    factors = sorted(catalog.factors)
    ages = list(catalog.age_groups)
    genders = list(catalog.items("genders"))
    types = list(catalog.items("situation_types"))
    rejections = list(catalog.rejection_reasons)
    helps = list(catalog.help_sources)
    services = list(catalog.services)
    conclusions = list(catalog.conclusion_reasons)
    ids: list[int] = []
    with world.runtime.command() as s:
        from workflow.models import Table
        other = s.query(Table.id).filter(Table.code == "OTHER").scalar()
        for i in range(n):
            presented = _at(rng, FIRST, SPAN_DAYS)
            on_other = rng.random() < 0.15
            fields: dict = dict(
                origin="outsider" if on_other else rng.choice(ORIGINS),
                table_id=other if on_other else None,
                # Skewed so that some groups are large and many are small.
                age_group=ages[min(int(rng.expovariate(0.6)), len(ages) - 1)],
                gender=genders[min(int(rng.expovariate(0.9)), len(genders) - 1)],
                situation_type=rng.choice(types),
                presented_at=presented,
                help_source=None if rng.random() < 0.3 else rng.choice(helps),
            )
            if ids and rng.random() < 0.1:
                fields["previous_situation_id"] = rng.choice(ids)
            roll = rng.random()
            if roll < 0.55:
                accepted = presented + timedelta(minutes=rng.randrange(0, 90))
                fields.update(decided_at=accepted, accepted_at=accepted, stage="accepted",
                              factors=rng.sample(factors, rng.randrange(1, 5)))
                if not on_other and rng.random() < 0.8:
                    fields["lead"] = rng.choice(ORIGINS)
                    fields["assisting"] = rng.sample(
                        [o for o in ORIGINS if o != fields["lead"]], rng.randrange(0, 3))
                fields["services"] = rng.sample(services, rng.randrange(0, 3))
                if rng.random() < 0.85:
                    fields["first_contact_due"] = _at(rng, accepted, 4)
                if rng.random() < 0.6:
                    fields["first_contact_at"] = _at(rng, accepted, 5)
                if rng.random() < 0.5:
                    fields.update(stage="closed", closed_at=_at(rng, accepted, 60),
                                  conclusion_reason=rng.choice(conclusions))
            elif roll < 0.8:
                fields.update(decided_at=presented, stage="rejected",
                              rejection_reason=rng.choice(rejections))
            elif roll < 0.9:
                fields.update(stage="withdrawn", closed_at=_at(rng, presented, 10),
                              withdrawal_reason="duplicate")
            sit = _situation(s, world, **fields)
            ids.append(sit.id)
            _answers(s, extra, sit)


def _skewed(rng: random.Random, values: list[str], rate: float) -> str:
    return values[min(int(rng.expovariate(rate)), len(values) - 1)]


def _answers(s, rng: random.Random, sit: Situation) -> None:
    """Equity answers (most answer race, a few ethnic minority status) and, after a closure
    with risk lowered, a follow-up asked and maybe answered. A generator of its own, so that
    the situations are the same with or without them."""
    if rng.random() < 0.6:
        s.add(EquityAnswer(situation_id=sit.id, dimension="race",
                           value=_skewed(rng, list(DIMENSIONS["race"]), 0.5)))
    if rng.random() < 0.15:
        s.add(EquityAnswer(situation_id=sit.id, dimension="ethnic_minority",
                           value=rng.choice(list(DIMENSIONS["ethnic_minority"]))))
    if sit.conclusion_reason in risk_lowered_codes() and rng.random() < 0.8:
        answer = _skewed(rng, ["yes", "no", "not_known", "re_presented", "unanswered"], 0.8)
        s.add(FollowUp(situation_id=sit.id, table_id=sit.table_id,
                       lead_agency_id=sit.lead_agency_id,
                       due_at=sit.closed_at + timedelta(days=30), reminders_sent=1,
                       answer=None if answer == "unanswered" else answer,
                       answered_at=None if answer == "unanswered" else sit.closed_at))
