"""Records that cannot re-identify (issue 19), on the demo's full history, both databases:
the export is k-anonymous, rejected discussions carry "N/A", and no count the report
suppresses can be rebuilt from the records, before or after one closure (differencing)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select

from workflow import access, demo, interventions
from workflow.models import Situation, Table, User
from workflow.reports.figures import FigureBuilder
from workflow.reports.kanon import NA, QUASI, bounds
from workflow.reports.records import _constraints, records_with_method
from workflow.reports.scope import parse_period, resolve_scope


def _export(runtime):
    """(records, method, {hidden report cell: (constraints, true count)}) for PEEL."""
    with runtime.read() as s:
        year = datetime.now(UTC).year
        scope = resolve_scope(s, parse_period(f"{year - 3}-01-01", f"{year + 1}-01-01"),
                              table="PEEL")
        out = records_with_method(s, scope)
        fb = FigureBuilder(s, scope)
        fb.all()
        hidden = fb.problem.solve(scope.threshold)
        cells = {k: (_constraints(k), fb.problem.values[k]) for k in hidden
                 if _constraints(k) is not None}
        return out.rows, out.method, cells, scope.threshold


def _close_one(runtime) -> int:
    with runtime.command() as s:
        peel = s.scalars(select(Table).where(Table.code == "PEEL")).one()
        sit = s.scalars(select(Situation).where(Situation.table_id == peel.id,
                                                Situation.stage == "intervention")
                        .order_by(Situation.id)).first()
        chair = next(u for u in s.scalars(select(User).where(User.role == "chair"))
                     if access.chairs_table(s, u, peel.id))
        for task in sit.tasks:
            if task.status == "open":
                task.status, task.note = "not_done", "Not needed any more"
        interventions.close(s, chair, sit.id, conclusion_reason="lowered_connected")
        return sit.id


def _assert_nothing_suppressed_is_revealed(rows, cells):
    assert cells, "the demo's report suppresses some counts (else this test tests nothing)"
    for key, (constraints, true) in cells.items():
        low, high = bounds(rows, constraints)
        assert low <= true <= high, (key, low, true, high)
        assert low < high, f"the records give back the suppressed count {key} = {true}"


def test_differencing_before_and_after_one_closure_reveals_no_suppressed_count(runtime):
    demo.build_demo(runtime, password="demo-password-1")
    before, method, cells_before, k = _export(runtime)
    _close_one(runtime)
    after, _, cells_after, _ = _export(runtime)
    for rows, cells in ((before, cells_before), (after, cells_after)):
        _assert_nothing_suppressed_is_revealed(rows, cells)
        # k-anonymity: every combination of quasi-identifiers not suppressed has >= k records
        combos = Counter(tuple(r[c] for c in QUASI) for r in rows)
        assert all(n >= k for combo, n in combos.items() if set(combo) != {"x"}), combos
        # a suppressed record tells nothing else either (an "N/A" would say "rejected")
        for r in rows:
            if r["decision"] == "x":
                assert set(r.values()) - {r["record"], r["table"]} == {"x"}, r
    # the closed count hidden as "<5" on the page stays a range in the records, before and after
    closed = [("outcome", "*")]
    for rows, cells in ((before, cells_before), (after, cells_after)):
        if ("closed", "total") in cells:
            low, high = bounds(rows, closed)
            assert low < high
    # what both exports share and how they differ tells no suppressed count either:
    for key in set(cells_before) & set(cells_after):
        constraints, _ = cells_after[key]
        lb0, ub0 = bounds(before, constraints)
        lb1, ub1 = bounds(after, constraints)
        assert (lb0, lb1) != (ub0, ub1)
    assert any("k-anonymity with k = 5" in line for line in method)


def test_rejected_discussions_carry_na_in_the_rtd_columns(runtime):
    demo.build_demo(runtime, password="demo-password-1")
    with runtime.command() as s:
        s.execute(Table.__table__.update().values(small_cell_threshold=1))
    rows, method, _, _ = _export(runtime)
    rejected = [r for r in rows if r["decision"] == "rejected"]
    assert rejected, "the demo rejects a situation"
    for r in rejected:
        for column in ("assisting_sectors", "risk_categories", "risk_factors", "aer_reasons",
                       "services", "protective_factors", "persons_affected"):
            assert r[column] == NA, column
    accepted = [r for r in rows if r["decision"] == "accepted"]
    assert accepted and all(r["risk_factors"] not in ("", NA) for r in accepted)
    assert method == ["k = 1: no generalisation needed"]
