"""What a reader who knows how a report is made can still work out of its hidden counts.

Why: hiding at least two parts of every published sum (suppression.py) stops the plain
subtraction, not the arithmetic around it. A reader knows that "<5" is 1 to 4, that an "x" is a
count the report would have shown (so at least the threshold, never 0), and every printed
number. From a row "<5, x, 12, total 18" they get <5 + x = 6 with x >= 5, so the small count
is 1; from "<5, <5, 12, total 14" both small counts are 1. This audit asks the question they
would ask, for each small count hidden: what is the least and the most it can be, given every
published sum at once (a linear programme over the hidden cells, solved by HiGHS through
SciPy)? A count pinned to one value is exposed, and the caller hides one more cell beside it.

The bounds are the linear relaxation's, rounded inwards: the reader also knows the counts are
whole numbers. A threshold below 3 has nothing to protect: "<2" already says 1.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from typing import Any, Protocol


class Relation(Protocol):
    """Published members that sum to a published total (suppression.Relation is one)."""

    @property
    def members(self) -> tuple[Hashable, ...]: ...

    @property
    def total(self) -> Hashable: ...

#: an LP bound closer than this to a whole number is that number
_SLACK = 1e-6


def exposed(values: Mapping[Hashable, int], relations: Iterable[Relation],
            hidden: Mapping[Hashable, str], threshold: int, primary: str,
            among: Iterable[Hashable] | None = None) -> list[Hashable]:
    """The small counts hidden as `primary` (those `among`, if given) that a reader can pin to
    their exact value.

    Hiding more only ever widens what a count can be, so a caller that hides more asks again
    only about the counts that were pinned. Most counts are shown free by two programmes (all
    of them as large, then as small, as they can be together); only the rest take one each.
    """
    small = [key for key, why in hidden.items() if why == primary]
    if among is not None:
        wanted = set(among)
        small = [key for key in small if key in wanted]
    if threshold < 3 or not small:
        return []
    programme = _Programme(values, relations, hidden, threshold, primary)
    high = programme.solution(small, -1)
    small = [key for key in small if high[key] < values[key] + 1 - _SLACK]
    if small:
        low = programme.solution(small, 1)
        small = [key for key in small if low[key] > values[key] - 1 + _SLACK]
    return [key for key in small if programme.pinned(key, values[key])]


class _Programme:
    """The published sums as equations over the hidden cells (printed cells are constants)."""

    def __init__(self, values: Mapping[Hashable, int], relations: Iterable[Relation],
                 hidden: Mapping[Hashable, str], threshold: int, primary: str) -> None:
        self.column = {key: i for i, key in enumerate(hidden)}
        self.bounds = [(1, threshold - 1) if why == primary else (threshold, None)
                       for why in hidden.values()]
        self.rows: list[list[float]] = []
        self.right: list[float] = []
        for rel in relations:
            row = [0.0] * len(self.column)
            constant = 0  # the printed members less the printed total
            touched = False
            for key, sign in (*((m, 1) for m in rel.members), (rel.total, -1)):
                if key in self.column:
                    row[self.column[key]] += sign
                    touched = True
                else:
                    constant += sign * values[key]
            if touched:
                self.rows.append(row)
                self.right.append(-constant)

    def _solve(self, keys: Iterable[Hashable], sign: int) -> Any:
        """A vertex that makes the sum of `keys` least (sign 1) or most (sign -1)."""
        from scipy.optimize import linprog  # a second to import: only when a report asks

        objective = [0.0] * len(self.column)
        for key in keys:
            objective[self.column[key]] = sign
        found: Any = linprog(objective, A_eq=self.rows or None, b_eq=self.right or None,
                             bounds=self.bounds, method="highs")
        if found.status != 0:  # the published figures are consistent: this is a bug
            raise ValueError(f"the disclosure audit found no filling: {found.message}")
        return found

    def solution(self, keys: list[Hashable], sign: int) -> dict[Hashable, float]:
        """Each hidden cell's value where the sum of `keys` is least or most."""
        found = self._solve(keys, sign)
        return {key: float(found.x[i]) for key, i in self.column.items()}

    def _extreme(self, key: Hashable, sign: int) -> float:
        return float(sign * self._solve([key], sign).fun)

    def pinned(self, key: Hashable, value: int) -> bool:
        """Whether the least and the most `key` can be are both its value."""
        if math.floor(self._extreme(key, -1) + _SLACK) > value:
            return False
        return math.ceil(self._extreme(key, 1) - _SLACK) >= value
