"""The grouped counts a report is drawn from, whichever way they were obtained.

Why a shape of its own: the figures read the same counts whether the database grouped the
situations just now or the daily rollups summed them (with the days not yet rolled up grouped
live). Counts of disjoint sets of situations add up, so the two parts are merged by `+`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

K = TypeVar("K")


def _add_rows(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]], keys: int
              ) -> list[tuple[Any, ...]]:
    """Rows (*key, *measures) of two disjoint sets, summed by key."""
    out: dict[tuple[Any, ...], list[int]] = {}
    for row in (*a, *b):
        key, measures = tuple(row[:keys]), [int(v) for v in row[keys:]]
        have = out.get(key)
        out[key] = measures if have is None else [x + y for x, y in zip(have, measures,
                                                                          strict=True)]
    return [(*k, *v) for k, v in out.items()]


def _add_maps(a: dict[K, int], b: dict[K, int]) -> dict[K, int]:
    out = {k: int(v) for k, v in a.items()}
    for k, v in b.items():
        out[k] = out.get(k, 0) + int(v)
    return out


@dataclass
class Counts:
    """presented: {split: [(code, decision, n)]}; accepted: {split: [(code, n, helped, due,
    on_time)]}; closed: {split: [(code, n, lowered)]}; situations per risk category, rows per
    factor, situations per assisting sector; durations as {value: how many} (the timeliness
    ones in whole microseconds); equity: {(dimension, answer, "presented" | "accepted"):
    situations}, answered only; follow_up: {answer or "pending": situations closed with risk
    lowered}."""

    presented: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    accepted: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    closed: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    factors: dict[str, int] = field(default_factory=dict)
    assisting: dict[str, int] = field(default_factory=dict)
    to_contact: dict[float, int] = field(default_factory=dict)
    to_closure: dict[float, int] = field(default_factory=dict)
    decision_us: dict[int, int] = field(default_factory=dict)
    contact_us: dict[int, int] = field(default_factory=dict)
    equity: dict[tuple[str, str, str], int] = field(default_factory=dict)
    follow_up: dict[str, int] = field(default_factory=dict)

    def __add__(self, other: Counts) -> Counts:
        def rows(a: dict[str, list[tuple[Any, ...]]], b: dict[str, list[tuple[Any, ...]]], keys: int
                 ) -> dict[str, list[tuple[Any, ...]]]:
            return {k: _add_rows(a.get(k, []), b.get(k, []), keys) for k in {*a, *b}}

        return Counts(
            presented=rows(self.presented, other.presented, 2),
            accepted=rows(self.accepted, other.accepted, 1),
            closed=rows(self.closed, other.closed, 1),
            categories=_add_maps(self.categories, other.categories),
            factors=_add_maps(self.factors, other.factors),
            assisting=_add_maps(self.assisting, other.assisting),
            to_contact=_add_maps(self.to_contact, other.to_contact),
            to_closure=_add_maps(self.to_closure, other.to_closure),
            decision_us=_add_maps(self.decision_us, other.decision_us),
            contact_us=_add_maps(self.contact_us, other.contact_us),
            equity=_add_maps(self.equity, other.equity),
            follow_up=_add_maps(self.follow_up, other.follow_up),
        )

