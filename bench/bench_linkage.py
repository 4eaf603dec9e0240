"""Benchmark 19: "seen before?" linkage accuracy and matching cost.

A synthetic population (bench/linkage_population.py) of 100,000 earlier situations is encoded
with a fresh key into a linkage_tokens table (SQLite file). Then:
- accuracy: 1,000 people presented again, re-typed with realistic errors, must be found
  (recall); 1,000 who were never presented (500 siblings of earlier people sharing family name
  and address, some twins, and 500 strangers) must not be (precision = true matches over all
  matches returned), at the threshold in workflow/linkage/match.py;
- cost: the full matching path of one submission (blocking query, fetch, Dice on each
  candidate) against the 100,000, per submission; baseline, same run: one exact-hash lookup
  (a primary-key style equality on an indexed column), the cost of the simplest possible
  "seen before?" that tolerates no error at all.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session

from bench.common import result
from bench.linkage_population import Population
from workflow.linkage import clk, match
from workflow.models import LinkageToken

EARLIER = 100_000
POSITIVES = 1_000
NEGATIVES = 1_000
ACCURACY_GOAL = "recall >= 0.95 at precision >= 0.99"
COST_GOAL = "< 50 ms"


def _build(engine, key: bytes, pop: Population):  # type: ignore[no-untyped-def]
    LinkageToken.__table__.create(engine)
    people = [pop.person() for _ in range(EARLIER)]
    rows = []
    for sid, p in enumerate(people, start=1):
        enc = clk.encode(key, p.name, p.born)
        rows.append({"situation_id": sid, "table_id": 1, "person": 0, "source": "identity",
                     "clk": enc.to_bytes(), "block_1": enc.blocks[0], "block_2": enc.blocks[1],
                     "key_id": 1})
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(LinkageToken), rows[start:start + 5000])
    return people


def _probe(key: bytes, name: str, born) -> tuple[int, tuple[str, str]]:  # type: ignore[no-untyped-def]
    enc = clk.encode(key, name, born)
    return enc.clk, enc.blocks


def run(_pg_url: str | None = None, *, earlier: int = EARLIER) -> list[dict]:
    global EARLIER
    EARLIER = earlier
    key = os.urandom(32)
    pop = Population(seed=19)
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'linkage.db'}")
        people = _build(engine, key, pop)
        rng = pop.rng
        positives = [(sid, *pop.retyped(people[sid - 1]))
                     for sid in rng.sample(range(1, len(people) + 1), POSITIVES)]
        negatives = []
        for _ in range(NEGATIVES // 2):
            of = people[rng.randrange(len(people))]
            negatives.append(pop.retyped(pop.sibling(of, twin=rng.random() < 0.03)))
        negatives += [pop.retyped(pop.person()) for _ in range(NEGATIVES - NEGATIVES // 2)]
        tp = fp = 0
        costs: list[float] = []
        with Session(engine) as session:
            for sid, name, born in positives:
                start = time.perf_counter()
                found = match.score_candidates(session, [_probe(key, name, born)])
                costs.append(time.perf_counter() - start)
                tp += sid in found
                fp += len(found) - (sid in found)
            for name, born in negatives:
                start = time.perf_counter()
                found = match.score_candidates(session, [_probe(key, name, born)])
                costs.append(time.perf_counter() - start)
                fp += len(found)
            lookups = [p[1] for _, *p in [(0, *_probe(key, n, b)) for _, n, b in positives[:300]]]
            base: list[float] = []
            for blocks in lookups:
                start = time.perf_counter()
                session.execute(select(LinkageToken.situation_id)
                                .where(LinkageToken.block_1 == blocks[0]).limit(1)).first()
                base.append(time.perf_counter() - start)
        engine.dispose()
    recall = tp / POSITIVES
    precision = tp / (tp + fp) if tp + fp else 0.0
    met = recall >= 0.95 and precision >= 0.99
    cost_ms = statistics.mean(costs) * 1000
    p95_ms = sorted(costs)[int(len(costs) * 0.95)] * 1000
    base_ms = statistics.mean(base) * 1000
    return [
        result(f"linkage recall at threshold {match.THRESHOLD} ({POSITIVES} re-presented, "
               f"{earlier:,} earlier)", recall, "share", 0.95, ACCURACY_GOAL, met),
        result(f"linkage precision at threshold {match.THRESHOLD} ({NEGATIVES} never presented: "
               "siblings, twins, strangers)", precision, "share", 0.99, ACCURACY_GOAL, met),
        result(f"linkage matching cost per submission against {earlier:,} (mean; p95 "
               f"{p95_ms:.1f} ms; baseline one exact-hash lookup)", cost_ms, "ms", base_ms,
               COST_GOAL, cost_ms < 50),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--earlier", type=int, default=EARLIER)
    args = parser.parse_args()
    print(json.dumps(run(None, earlier=args.earlier), indent=1))
