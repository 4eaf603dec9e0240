"""Small-cell and complementary suppression: edge cases, two-way tables, shared totals."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reports.helpers import grid, report
from workflow.reports.suppression import (
    COMPLEMENTARY,
    PRIMARY,
    Problem,
    display,
    share_hidden,
)


def one_way(cells: list[int]) -> Problem:
    p = Problem()
    for i, v in enumerate(cells):
        p.set(i, v)
    p.set("T", sum(cells))
    p.relate(range(len(cells)), "T")
    return p


def two_way(rows: list[list[int]]) -> Problem:
    p = Problem()
    n_cols = len(rows[0])
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            p.set((r, c), v)
        p.set(("row", r), sum(row))
        p.relate([(r, c) for c in range(n_cols)], ("row", r))
    for c in range(n_cols):
        p.set(("col", c), sum(row[c] for row in rows))
        p.relate([(r, c) for r in range(len(rows))], ("col", c))
    p.set("T", sum(map(sum, rows)))
    p.relate([("col", c) for c in range(n_cols)], "T")
    p.relate([("row", r) for r in range(len(rows))], "T")
    return p


def unsafe_relations(p: Problem, hidden) -> list:
    return [r for r in p.relations
            if sum(1 for k in (*r.members, r.total) if k in hidden) == 1]


def test_one_small_cell_takes_the_next_smallest_with_it():
    hidden = one_way([3, 10, 12]).solve(5)
    assert hidden == {0: PRIMARY, 1: COMPLEMENTARY}


def test_two_small_cells_protect_each_other():
    assert one_way([2, 4, 12]).solve(5) == {0: PRIMARY, 1: PRIMARY}


def test_zero_cells_are_shown_and_never_picked_as_complement():
    assert one_way([0, 0, 7]).solve(5) == {}
    hidden = one_way([3, 0, 9]).solve(5)
    assert hidden == {0: PRIMARY, 2: COMPLEMENTARY}


def test_a_small_total_is_hidden_itself():
    # 3 in one cell, zeros elsewhere: the total (3) is small too, so two are hidden.
    assert one_way([0, 3, 0]).solve(5) == {1: PRIMARY, "T": PRIMARY}
    assert one_way([1, 2]).solve(5) == {0: PRIMARY, 1: PRIMARY, "T": PRIMARY}


def test_the_total_is_the_complement_when_no_other_cell_can_be():
    p = Problem()
    p.set("a", 3)
    p.set("b", 0)
    p.set("T", 3 + 0)
    p.relate(["a", "b"], "T")
    assert p.solve(5) == {"a": PRIMARY, "T": PRIMARY}
    # "a" is hidden as a complement by another relation; beside zeros, the total goes too.
    q = Problem()
    for k, v in (("a", 12), ("b", 0), ("T", 12), ("s", 3), ("U", 15)):
        q.set(k, v)
    q.relate(["a", "b"], "T")
    q.relate(["s", "a"], "U")
    assert q.solve(5) == {"s": PRIMARY, "a": COMPLEMENTARY, "T": COMPLEMENTARY}


def test_two_way_table_suppresses_a_rectangle():
    rows = [[3, 10], [8, 9]]
    p = two_way(rows)
    hidden = p.solve(5)
    assert hidden == {(0, 0): PRIMARY, (0, 1): COMPLEMENTARY, (1, 0): COMPLEMENTARY,
                      (1, 1): COMPLEMENTARY}
    assert not unsafe_relations(p, hidden)


def test_the_same_quantity_in_two_figures_is_hidden_in_both():
    """A complement chosen in one figure breaks a relation of another; it is protected too."""
    p = Problem()
    # figure 1: accepted + rejected = presented
    for k, v in (("acc", 20), ("rej", 3), ("pre", 23)):
        p.set(k, v)
    p.relate(["acc", "rej"], "pre")
    # figure 2: lead sectors add up to accepted
    for k, v in (("lead_a", 12), ("lead_b", 8)):
        p.set(k, v)
    p.relate(["lead_a", "lead_b"], "acc")
    hidden = p.solve(5)
    assert hidden["rej"] == PRIMARY and hidden["acc"] == COMPLEMENTARY
    assert "lead_b" in hidden   # else acc = lead_a + lead_b gives back acc, then rej
    assert not unsafe_relations(p, hidden)


def test_display_marks():
    assert display(3, PRIMARY, 5) == "<5"
    assert display(9, COMPLEMENTARY, 5) == "x"
    assert display(9, None, 5) == "9"
    assert display(0, None, 5) == "0"
    assert display(2, PRIMARY, 11) == "<11"


def test_a_share_is_hidden_when_it_reveals_a_small_count():
    assert share_hidden(19, 20, 5)        # one not helped
    assert share_hidden(3, 20, 5)         # three helped
    assert share_hidden(4, 4, 5)          # small denominator
    assert not share_hidden(20, 20, 5)
    assert not share_hidden(10, 20, 5)
    assert not share_hidden(0, 20, 5)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5).flatmap(lambda cols: st.lists(
    st.lists(st.integers(0, 30), min_size=cols, max_size=cols), min_size=1, max_size=6)),
       st.integers(2, 11))
def test_no_relation_is_ever_left_with_one_hidden_part(rows, threshold):
    p = two_way(rows)
    hidden = p.solve(threshold)
    for key, value in p.values.items():
        if 1 <= value < threshold:
            assert hidden.get(key) == PRIMARY
        if value == 0:
            assert key not in hidden
    assert not unsafe_relations(p, hidden)


def test_the_report_never_prints_a_small_count(world, dataset):
    """With the default threshold 5, every printed count is 0 or at least 5."""
    from sqlalchemy import update

    from workflow.models import Table

    with world.runtime.command() as s:
        s.execute(update(Table).values(small_cell_threshold=5))
    rep = report(world)
    # 8 in all would pin the two months' totals, each "<5", to 4 apiece: it is hidden too
    assert grid(rep, "decisions") == {"accepted": ["<5"], "rejected": ["<5"],
                                      "undecided": ["<5"], "total": ["x"]}
    for fig in rep.figures + rep.equity:
        for row in fig.rows + ([fig.total] if fig.total else []):
            for cell in row["cells"]:
                if cell.value is not None and isinstance(cell.value, int):
                    assert cell.value == 0 or cell.value >= 5, (fig.key, row["code"])
                if cell.text.endswith("%"):
                    raise AssertionError(f"{fig.key}: a share over fewer than 5 is shown")
    stats = {s.key: s for s in rep.statistics}
    assert stats["to_first_contact"].count.text == "<5"
    assert stats["to_first_contact"].median is None and stats["to_first_contact"].p90 is None
    assert all(i.share.value is None for i in rep.indicators)


def test_complementary_suppression_in_a_real_figure(world, dataset):
    """Threshold 3: in "decisions" 4 accepted, 2 rejected (small), 2 undecided (small). With
    4 and 8 printed, the two "<3" would sum to 4: 2 each, so both are hidden too."""
    from sqlalchemy import update

    from workflow.models import Table

    with world.runtime.command() as s:
        s.execute(update(Table).values(small_cell_threshold=3))
    rep = report(world)
    assert grid(rep, "decisions") == {"accepted": ["x"], "rejected": ["<3"],
                                      "undecided": ["<3"], "total": ["x"]}
    # origin: police (1,1,0 | 2), education (2,1,2 | 5), health (1,0,0 | 1)
    origin = grid(rep, "origin_sector")
    assert origin["health"] == ["<3", "0", "0", "<3"]
    assert origin["total"] == ["x", "<3", "<3", "x"]
    printed = [t for row in origin.values() for t in row]
    assert "1" not in printed and "2" not in printed
