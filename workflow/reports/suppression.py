"""Small-cell suppression with complementary suppression, for every figure and export.

Why: a manager must never be able to learn that "2 girls aged 12-15 from the school board"
were discussed. Counts from 1 to threshold-1 are shown as "<5" (primary suppression). That is
not enough when a total is published: with one hidden cell in a row, the row total minus the
visible cells gives it back. So every published additive relation (members summing to a total)
must hide either none or at least two of its parts: when exactly one is hidden, the smallest
non-zero visible member is hidden too (complementary suppression, shown as "x"), falling back
to the total. Hiding a cell can break another relation it belongs to (its column, or the same
quantity in another figure), so the rule is applied until nothing changes. Two hidden parts can
still be worked out together ("<5" and "x" summing to 6: the "x" is at least 5, so the small
count is 1): each small count the published sums still pin takes one more cell of a sum it
is in, the first that frees it (disclosure_audit.py asks), until none is pinned.

Cells are named by keys shared across figures: "the number accepted" is one cell whether it
appears as a column total in the age-group table or as a line of the decisions table, so a
value hidden in one figure cannot be read off another. Zero is shown as 0: it hides nobody.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field

from workflow.reports import disclosure_audit

#: Which suppression a report was made with, kept in its scope: a report stored with an older
#: one is made again before it is shown (workflow.reports.archive). 1: complements only;
#: 2: and no hidden small count pinned by the sums (disclosure_audit).
METHOD = 2

PRIMARY = "primary"
COMPLEMENTARY = "complementary"
HIDDEN = "x"


def small_label(threshold: int) -> str:
    return f"<{threshold}"


def is_small(value: int, threshold: int) -> bool:
    return 1 <= value < threshold


@dataclass(frozen=True)
class Relation:
    """Published members that sum to a published total (a row, a column, a subtotal)."""

    members: tuple[Hashable, ...]
    total: Hashable


@dataclass
class Problem:
    """Cell values (by key) and the additive relations between them."""

    values: dict[Hashable, int] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)

    def set(self, key: Hashable, value: int) -> None:
        """Record a cell; the same key given twice must carry the same count."""
        old = self.values.get(key)
        if old is not None and old != value:
            raise ValueError(f"cell {key!r} given two different counts ({old} and {value})")
        self.values[key] = value

    def relate(self, members: Iterable[Hashable], total: Hashable) -> None:
        members = tuple(members)
        for key in (*members, total):
            self.values.setdefault(key, 0)
        self.relations.append(Relation(members, total))

    def check_additive(self) -> None:
        """A relation whose members do not sum to its total is a bug in the figure builder."""
        for rel in self.relations:
            got = sum(self.values[m] for m in rel.members)
            if got != self.values[rel.total]:
                raise ValueError(f"members of {rel.total!r} sum to {got}, "
                                 f"not {self.values[rel.total]}")

    def solve(self, threshold: int) -> dict[Hashable, str]:
        """Which cells to hide, and why (PRIMARY or COMPLEMENTARY)."""
        return suppress(self.values, self.relations, threshold)


def suppress(values: Mapping[Hashable, int], relations: Iterable[Relation],
             threshold: int) -> dict[Hashable, str]:
    """Primary suppression of small counts, complementary suppression to a fixed point, then
    one more cell for each small count that the sums still pin (disclosure_audit; the cell is
    `_unpinning`'s), until none is pinned."""
    if threshold < 1:
        raise ValueError("the small-cell threshold must be at least 1")
    hidden: dict[Hashable, str] = {
        key: PRIMARY for key, value in values.items() if is_small(value, threshold)
    }
    relations = list(relations)
    _complete(values, relations, hidden)
    pinned: list[Hashable] | None = None  # None: every small count is asked about
    while True:
        pinned = disclosure_audit.exposed(values, relations, hidden, threshold, PRIMARY,
                                          among=pinned)
        if not pinned:
            return hidden
        picked = False
        for key in pinned:
            if picked and not disclosure_audit.exposed(values, relations, hidden, threshold,
                                                       PRIMARY, among=[key]):
                continue  # a cell hidden for an earlier count freed this one too
            pick = _unpinning(values, relations, hidden, threshold, key)
            if pick is not None:
                hidden[pick] = COMPLEMENTARY
                _complete(values, relations, hidden)
                picked = True
        if not picked:
            return hidden


def _complete(values: Mapping[Hashable, int], relations: list[Relation],
              hidden: dict[Hashable, str]) -> None:
    """Until no relation has exactly one hidden part: hide its complement."""
    changed = True
    while changed:
        changed = False
        for rel in relations:
            parts = (*rel.members, rel.total)
            if sum(1 for key in parts if key in hidden) != 1:
                continue
            pick = _complement(values, rel, hidden)
            if pick is not None:
                hidden[pick] = COMPLEMENTARY
                changed = True


#: how many cells beside a pinned count are tried before the likeliest is taken untried
_TRIALS = 4


def _unpinning(values: Mapping[Hashable, int], relations: list[Relation],
               hidden: dict[Hashable, str], threshold: int, key: Hashable) -> Hashable | None:
    """A printed non-zero cell beside `key` whose hiding leaves `key` no longer pinned.

    Why not simply the smallest: a count is pinned by one sum that has too few hidden parts
    (a '<5' and an 'x' summing to 6), and a cell of another sum it belongs to frees nothing;
    taken greedily, a whole column of months went before the one cell that counted. So the
    cells of the sums with the fewest hidden parts come first, smallest first, and the first
    that frees `key` (the audit asked again) is the one; if none of the first few does, the
    likeliest is hidden and the caller's next round asks again."""
    ordered: list[tuple[int, int, Hashable]] = []
    for rel in relations:
        parts = (*rel.members, rel.total)
        if key not in parts:
            continue
        crowd = sum(1 for k in parts if k in hidden)
        ordered += [(crowd, values[k], k) for k in parts if k not in hidden and values[k] > 0]
    ordered.sort(key=lambda c: c[:2])  # stable: ties keep the order the sums list them in
    candidates = list(dict.fromkeys(k for _crowd, _value, k in ordered))
    for pick in candidates[:_TRIALS]:
        trial = {**hidden, pick: COMPLEMENTARY}
        _complete(values, relations, trial)
        if not disclosure_audit.exposed(values, relations, trial, threshold, PRIMARY,
                                        among=[key]):
            return pick
    return candidates[0] if candidates else None


def _complement(values: Mapping[Hashable, int], rel: Relation,
                hidden: Mapping[Hashable, str]) -> Hashable | None:
    """The smallest visible non-zero member (ties: first listed), else the total."""
    candidates = [k for k in rel.members if k not in hidden and values[k] > 0]
    if candidates:
        return min(candidates, key=lambda k: values[k])
    if rel.total not in hidden and values[rel.total] > 0:
        return rel.total
    return None


def display(value: int, reason: str | None, threshold: int) -> str:
    """How a count is printed: the number, "<5" for a small one, "x" for a complement."""
    if reason == PRIMARY:
        return small_label(threshold)
    if reason == COMPLEMENTARY:
        return HIDDEN
    return str(value)


def share_hidden(numerator: int, denominator: int, threshold: int) -> bool:
    """A share is hidden when it would reveal a small count: a small denominator, numerator
    or remainder (19 of 20 tells that exactly one person did not get help)."""
    if denominator < threshold:
        return True
    return is_small(numerator, threshold) or is_small(denominator - numerator, threshold)
