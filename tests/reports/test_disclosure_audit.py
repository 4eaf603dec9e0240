"""No hidden small count can be worked out exactly by a reader who knows how reports are made:
"<t" is 1 to t-1, "x" is at least t, every printed number and every published sum is known.

The property test checks the suppression against an independent search: it enumerates every
whole-number filling of the hidden cells that agrees with what is printed, and needs, for each
hidden small count, a filling where it has another value.
"""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from reports.helpers import grid, report
from reports.test_suppression import one_way, two_way
from reports.test_suppression_review import _add, _threshold
from workflow.reports import disclosure_audit
from workflow.reports.suppression import COMPLEMENTARY, PRIMARY, Problem

#: how far above the threshold the search tries a hidden complement ("x")
_REACH = 12


def _other_values(p: Problem, hidden: dict, threshold: int) -> dict:
    """For each hidden small count, the values the search found it can take."""
    totals = {rel.total for rel in p.relations}
    inner = [k for k in hidden if k not in totals]  # the totals follow from these
    domains = [range(1, threshold) if hidden[k] == PRIMARY
               else range(threshold, threshold + _REACH + max(p.values.values()))
               for k in inner]
    seen: dict = {k: set() for k, why in hidden.items() if why == PRIMARY}
    for filling in itertools.product(*domains):
        values = dict(p.values) | dict(zip(inner, filling, strict=True))
        for rel in p.relations:  # totals follow from their members, in the order given
            if rel.total in hidden:
                values[rel.total] = sum(values[m] for m in rel.members)
        if not _agrees(p, hidden, values, threshold):
            continue
        for key in seen:
            seen[key].add(values[key])
    return seen


def _agrees(p: Problem, hidden: dict, values: dict, threshold: int) -> bool:
    if any(sum(values[m] for m in rel.members) != values[rel.total] for rel in p.relations):
        return False
    return all(1 <= values[k] < threshold if why == PRIMARY else values[k] >= threshold
               for k, why in hidden.items())


def _printed_beside(p: Problem, hidden: dict, key) -> list:
    """The printed non-zero cells of the sums `key` is part of."""
    return [k for rel in p.relations if key in (*rel.members, rel.total)
            for k in (*rel.members, rel.total) if k not in hidden and p.values[k] > 0]


def test_a_small_count_beside_one_complement_is_no_longer_pinned_by_the_total():
    """1, 5, 12 (total 18): "<5, x, 12, 18" says <5 + x = 6 with x >= 5, so 1. The 12 goes."""
    p = one_way([1, 5, 12])
    assert disclosure_audit.exposed(p.values, p.relations, {0: PRIMARY, 1: COMPLEMENTARY},
                                    5, PRIMARY) == [0]
    assert p.solve(5) == {0: PRIMARY, 1: COMPLEMENTARY, 2: COMPLEMENTARY}


def test_two_small_counts_that_sum_to_two_are_no_longer_both_one():
    assert one_way([1, 1, 12]).solve(5) == {0: PRIMARY, 1: PRIMARY, 2: COMPLEMENTARY}
    # 2 + 4 = 6 leaves each of them 2, 3 or 4: nothing more is hidden
    assert one_way([2, 4, 12]).solve(5) == {0: PRIMARY, 1: PRIMARY}


def test_a_rectangle_whose_printed_totals_pin_its_corner_is_widened():
    p = two_way([[1, 5], [5, 9]])
    hidden = p.solve(5)
    assert not disclosure_audit.exposed(p.values, p.relations, hidden, 5, PRIMARY)
    assert ("row", 0) in hidden and ("col", 0) in hidden


def test_the_cell_hidden_is_one_of_the_sum_that_pins_not_a_whole_column():
    """Row 0 is "x, <5, x, 30" after the complements: <5 + x = 6, so 1, whatever column 1's
    printed 6, 7 and 8 are. Hiding them one by one (the smallest first) freed nothing and ended
    with both column totals hidden (13 cells); the 24 beside it in row 0 is what counts."""
    p = two_way([[24, 1, 5], [30, 9, 3], [20, 6, 0], [18, 7, 0], [25, 8, 0]])
    hidden = p.solve(5)
    assert not disclosure_audit.exposed(p.values, p.relations, hidden, 5, PRIMARY)
    assert (0, 0) in hidden
    assert ("col", 1) not in hidden and ("col", 2) not in hidden and "T" not in hidden
    assert len(hidden) <= 7, sorted(hidden, key=str)


def test_a_small_total_of_small_counts_leaves_nothing_to_hide():
    """1 and 1 (total 2) at threshold 3: all three are hidden; each "<3" is still 1, and no
    cell is left that hiding would help."""
    p = one_way([1, 1])
    assert p.solve(3) == {0: PRIMARY, 1: PRIMARY, "T": PRIMARY}


def test_below_a_threshold_of_three_there_is_nothing_to_protect():
    p = one_way([1, 2, 12])
    assert disclosure_audit.exposed(p.values, p.relations, {0: PRIMARY, 1: COMPLEMENTARY},
                                    2, PRIMARY) == []


@settings(max_examples=120, deadline=None)
@given(st.sampled_from([(1, 2), (1, 3), (1, 4), (2, 2), (2, 1), (3, 1)]).flatmap(
    lambda shape: st.lists(st.lists(st.integers(0, 7), min_size=shape[1], max_size=shape[1]),
                           min_size=shape[0], max_size=shape[0])),
       st.integers(3, 5))
def test_no_hidden_small_count_can_be_worked_out(rows, threshold):
    p = one_way(rows[0]) if len(rows) == 1 else two_way(rows)
    hidden = p.solve(threshold)
    for key, values in _other_values(p, hidden, threshold).items():
        if len(values) < 2:  # only where nothing printed is left to hide beside it
            assert not _printed_beside(p, hidden, key), \
                f"{key} can only be {values} in {rows} (t={threshold})"


def test_the_decisions_figure_does_not_give_back_one_rejection(world):
    """5 accepted and 1 rejected: "x accepted, <5 rejected, 6 presented" says the rejected
    count is 6 less at least 5: exactly 1. The presented total is hidden as well."""
    _add(world, 5)
    _add(world, 1, accepted_at=None, lead=None, first_contact_due=None, first_contact_at=None,
         stage="rejected", rejection_reason="not_aer")
    _threshold(world)
    decisions = grid(report(world), "decisions")
    assert decisions["rejected"] == ["<5"] and decisions["accepted"] == ["x"]
    assert decisions["total"] != ["6"]
