"""Weighing two structured encodings (parts.py): how much more likely their agreement is if
they are one person than if they are two (Fellegi-Sunter weights, in bits).

The birth dates must agree: as typed, with day and month transposed, or with a mistyped year;
otherwise nothing else is looked at. Then the name parts are paired up (any order: family
name first or last) so as to weigh the most, and a few pairings are refused whatever the
weight, because they describe a sibling rather than a re-typed name:

- a part of one name with no counterpart in the other, while the other also has a part left
  over, is a different name (a twin's "Lan" against "Hoa"): refused, except once, when the
  date agrees exactly and at least two less frequent parts agree exactly (a family name
  changed at marriage: "Julie Emma Ouellet" and "Julie Emma Pelletier"), and never between
  two frequent Vietnamese names (Trần for Nguyễn, Văn for Thị: Vietnamese women keep their
  family name, and Văn for Thị is a brother);
- agreeing only on the most frequent parts (Nguyễn, Thị, Văn) is no agreement.

The weights are log2(m/u): m how often a true re-presentation shows the pattern, u how often
two different people do (u for dates: one in 31,000 people share a birth date over 85 years).
Rounded, and checked against the synthetic population of bench/linkage_population.py (the
seeds A of bench_linkage.py); match.py turns the sum into a decision.
"""

from __future__ import annotations

from itertools import permutations

from workflow.linkage.parts import Parsed, Part

DATE_EXACT = 15.0  # m .90, u 1/31,000
DATE_SWAPPED = 10.5  # m .05: day and month transposed
DATE_YEAR = 6.5  # m .03, u 10/31,000: same day and month, the year one keystroke off
PART_WEIGHT = (1.5, 3.0, 5.0)  # an exact part of tier 0, 1, 2 (normalize.frequency_tier)
PART_TYPO = 1.0  # one letter dropped, added, changed, or two swapped: weak (Lan and Lam)
DROP_INNER = -1.5  # a middle name left out
DROP_OUTER = -6.0  # a first or last part left out: people drop middle names, not these
SUBSTITUTED = -6.0  # a part against another name


def _date(a: Parsed, b: Parsed) -> tuple[float, int] | None:
    """(weight, which parts to compare: -1 those salted with the unordered date, 0 or 1 those
    under a year salt), or None when the birth dates disagree."""
    if a.dates[0] == b.dates[0]:
        return DATE_EXACT, -1
    if a.dates[1] == b.dates[1]:
        return DATE_SWAPPED, -1
    for i in (0, 1):
        if a.dates[2 + i] == b.dates[2 + i]:
            return DATE_YEAR, i
    return None


def _typo(a: Part, b: Part) -> bool:
    """One typing error apart, from the dropped-letter variants (only with `dropped`)."""
    if not a.dropped or not b.dropped:
        return False
    if a.exact in b.dropped or b.exact in a.dropped:
        return True  # a letter added or dropped
    da, db = a.dropped, b.dropped
    if any(x == y for x, y in zip(da, db, strict=True)):
        return True  # one letter changed (at the same place)
    return any(da[k] == db[k + 1] and da[k + 1] == db[k] for k in range(len(da) - 1))


def _pair(a: Part, b: Part) -> tuple[float, str] | None:
    if a.exact == b.exact:
        tier = next((i for i in (0, 1) if a.tiers[i] == b.tiers[i]), 2)
        return PART_WEIGHT[tier], ("frequent" if tier == 0 else "exact")
    if _typo(a, b):
        return PART_TYPO, "typo"
    return None


def _pairing(table: list[list[tuple[float, str] | None]], perm: tuple[int, ...],
             n_long: int) -> tuple[float, list[str], set[int]]:
    """One way of pairing: its weight, the kinds of agreement, the long name's parts used."""
    pairs = [table[i][j] for i, j in enumerate(perm)]
    used = {j for j, p in zip(perm, pairs, strict=True) if p}
    drops = n_long - len(perm)
    outer = min(drops, sum(1 for j in {0, n_long - 1} if j not in used))
    weight = sum(p[0] for p in pairs if p) + (len(perm) - len(used)) * SUBSTITUTED \
        + outer * DROP_OUTER + (drops - outer) * DROP_INNER
    return weight, [p[1] for p in pairs if p], used


def _name_changed(short: tuple[Part, ...], long: tuple[Part, ...], perm: tuple[int, ...],
                  used: set[int]) -> bool:
    """The one unpaired part of each side could be a family name changed at marriage: not
    when both are frequent Vietnamese names (their frequent-part tags agree), nor when either
    is inside its name (a family name comes first or last, never between given names: "Mary
    Jane Smith" and "Mary Ann Smith" are twins, not a marriage)."""
    mine = [i for i, j in enumerate(perm) if j not in used]
    theirs = [j for j in range(len(long)) if j not in used]
    if any(i not in (0, len(short) - 1) for i in mine) or \
            not any(j in (0, len(long) - 1) for j in theirs):
        return False  # (the long name's other unpaired parts are middle names left out)
    tags = {long[j].frequent for j in theirs}
    return not any(short[i].frequent in tags for i in mine)


def _names(short: tuple[Part, ...], long: tuple[Part, ...], exact_date: bool
           ) -> float | None:
    """The best pairing's weight, or None when the best pairing is refused (see above)."""
    table = [[_pair(x, y) for y in long] for x in short]
    best: tuple[float, list[str], set[int], tuple[int, ...]] | None = None
    for perm in permutations(range(len(long)), len(short)):
        weight, kinds, used = _pairing(table, perm, len(long))
        if best is None or weight > best[0]:
            best = (weight, kinds, used, perm)
    if best is None:
        return None
    weight, kinds, used, perm = best
    if len(kinds) == kinds.count("frequent"):
        return None  # agreeing on Nguyễn and Thị alone is no agreement
    substituted = len(short) - len(used)
    if substituted and not (substituted == 1 and exact_date and kinds.count("exact") >= 2
                            and _name_changed(short, long, perm, used)):
        return None
    return weight


def score(a: Parsed, b: Parsed) -> float | None:
    """Bits of evidence that a and b are one person; None when they cannot be (the birth
    dates disagree, or the names describe someone else)."""
    found = _date(a, b)
    if found is None or not a.parts or not b.parts:
        return None
    weight, salt = found
    pa, pb = (a.parts, b.parts) if salt < 0 else (a.year_parts[salt], b.year_parts[salt])
    short, long = (pa, pb) if len(pa) <= len(pb) else (pb, pa)
    names = _names(short, long, weight == DATE_EXACT)
    return None if names is None else weight + names
