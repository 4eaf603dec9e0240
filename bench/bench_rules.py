"""Benchmark 5a: rule evaluations per second for the shipped packs over 10,000 situations.

Baseline, same run: a one-rule pack (`risk_factor_count >= 2`) over the same facts, i.e. the
cost of one typed condition. Goal: a whole pack's evaluation for a command stays under a
millisecond (at least 1,000 per second on one core), so rules never bound a transaction.
"""

from __future__ import annotations

import argparse
import json
import random
import time

from bench.common import result
from rules.engine import evaluate
from rules.loader import load_pack, load_shipped_pack
from workflow.reference import load_catalog

SITUATIONS = 10_000
ONE_RULE = """
name: baseline
version: "1"
labels: {en: Baseline, vi: Cơ sở}
rules:
  - id: two_factors
    labels: {en: Two factors, vi: Hai yếu tố}
    trigger: submit
    when: risk_factor_count < 2
    actions:
      - {type: guard, message: {en: Two factors needed, vi: Cần hai yếu tố}}
"""


def synthetic_facts(n: int, seed: int = 3) -> list[dict]:
    rng = random.Random(seed)
    catalog = load_catalog()
    codes = sorted(catalog.factors)
    ages = sorted(catalog.codes("age_groups"))
    sectors = sorted(catalog.codes("sectors"))
    out = []
    for _ in range(n):
        factors = rng.sample(codes, rng.randint(1, 6))
        age = rng.choice(ages)
        present = rng.sample(sectors, rng.randint(1, 8))
        out.append({
            "stage": "presented", "age_group": age, "is_child": catalog.is_child(age),
            "is_minor": catalog.is_minor(age), "gender": rng.choice(["female", "male"]),
            "situation_type": "person", "consent": "given", "risk_factors": factors,
            "risk_categories": sorted({catalog.category_of(f) for f in factors}),
            "aer_reasons": factors[:1], "risk_factor_count": float(len(factors)),
            "options_exhausted": True, "needs_multiple_agencies": True,
            "harm_probable_imminent": rng.random() < 0.9, "sectors_present": present,
            "sectors_present_count": float(len(present)),
            "agencies_present_count": float(len(present)),
            "screening_score": float(rng.randint(0, 18)),
        })
    return out


def _rate(pack, trigger: str, facts: list[dict]) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for f in facts:
        evaluate(pack, trigger, f)
    return len(facts) / (time.perf_counter() - start)


def run(database_url: str | None = None, *, situations: int = SITUATIONS) -> list[dict]:
    facts = synthetic_facts(situations)
    baseline = _rate(load_pack(ONE_RULE, source_name="baseline"), "submit", facts)
    out = []
    for name in ("ontario", "vietnam"):
        pack = load_shipped_pack(name)
        for trigger in ("submit", "accept"):
            rate = _rate(pack, trigger, facts)
            rules = len(pack.rules_for(trigger))
            out.append(result(f"rule evaluations/s: {pack.name} on {trigger} ({rules} rules)",
                              rate, "evaluations/s", baseline,
                              ">= 1,000 pack evaluations/s on one core", rate >= 1000))
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--situations", type=int, default=SITUATIONS)
    print(json.dumps(run(situations=parser.parse_args().situations), indent=2))
