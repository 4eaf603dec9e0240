"""Self-identified equity splits (workflow/equity.py): only as suppressed aggregates.

Per dimension, the presented situations by answer (with "not asked or no consent" so the rows
add up to the presented total, the same cell as the decisions figure) and how many of each
were accepted.
"""

from __future__ import annotations

from collections.abc import Hashable

from sqlalchemy import ColumnElement, and_, case, func, select

from workflow.equity import DIMENSION_LABELS, DIMENSIONS
from workflow.equity import label as equity_label
from workflow.models import EquityAnswer
from workflow.reports.figures import FigureBuilder, dec
from workflow.reports.model import Cell, FigureSpec
from workflow.reports.sql import S

NO_ANSWER = "no_answer"


def build(fb: FigureBuilder) -> list[FigureSpec]:
    specs = []
    c = fb.cohorts
    presented_total = _cohort_count(fb, dec("total"), c.presented)
    accepted_total = _cohort_count(fb, dec("accepted"), c.accepted)
    for dim, values in DIMENSIONS.items():
        value = func.coalesce(EquityAnswer.value, NO_ANSWER)
        join = and_(EquityAnswer.situation_id == S.id, EquityAnswer.dimension == dim)
        rows = {code: (int(p), int(a or 0)) for code, p, a in fb.session.execute(
            select(value, func.count(),
                   func.sum(case((S.accepted_at.is_not(None), 1), else_=0)))
            .select_from(S).outerjoin(EquityAnswer, join).where(c.presented)
            .group_by(value)).tuples()}
        if set(rows) <= {NO_ANSWER}:
            continue  # nobody in scope answered this question: no figure
        codes = [*values, NO_ANSWER]
        lines: list[tuple[str, str, list[Hashable | Cell]]] = []
        for code in codes:
            p, a = rows.get(code, (0, 0))
            fb.put(("equity", dim, code, "presented"), p)
            fb.put(("equity", dim, code, "accepted"), a)
            text = ("Not asked, or no consent" if code == NO_ANSWER
                    else equity_label(dim, code, fb.lang))
            lines.append((code, text, [("equity", dim, code, "presented"),
                                       ("equity", dim, code, "accepted")]))
        p_total = _total(fb, dec("total"), ("equity", "presented_total"), presented_total)
        a_total = _total(fb, dec("accepted"), ("equity", "accepted_total"), accepted_total)
        fb.problem.relate([("equity", dim, c_, "presented") for c_ in codes], p_total)
        fb.problem.relate([("equity", dim, c_, "accepted") for c_ in codes], a_total)
        en, vi = DIMENSION_LABELS[dim]
        specs.append(FigureSpec(
            key=f"equity_self_{dim}", title=vi if fb.lang == "vi" else en, row_title="Answer",
            columns=[("presented", "Presented"), ("accepted", "Accepted")], rows=lines,
            total_row=[p_total, a_total],
            note="Optional, consent-based and self-identified; shown only in aggregate.",
            chart="none"))
    return specs


def _cohort_count(fb: FigureBuilder, shared: Hashable, where: ColumnElement[bool]) -> int:
    """The cohort's size: the decisions figure counted it already (from the rollups when
    built), else one count."""
    known = fb.problem.values.get(shared)
    if known is not None:
        return int(known)
    return int(fb.session.scalar(select(func.count()).select_from(S).where(where)) or 0)


def _total(fb: FigureBuilder, shared: Hashable, own: Hashable, value: int) -> Hashable:
    """The decisions figure's cell when it holds the same count (one cell, hidden alike)."""
    if fb.problem.values.get(shared) == value:
        return shared
    fb.put(own, value)
    return own
