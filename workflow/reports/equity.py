"""Self-identified equity splits (workflow/equity.py): only as suppressed aggregates.

Per dimension, the presented situations by answer (with "not asked or no consent" so the rows
add up to the presented total, the same cell as the decisions figure) and how many of each
were accepted.
"""

from __future__ import annotations

from collections.abc import Hashable

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from workflow.equity import DIMENSION_LABELS, DIMENSIONS
from workflow.equity import label as equity_label
from workflow.models import EquityAnswer
from workflow.reports.figures import FigureBuilder, dec
from workflow.reports.model import Cell, FigureSpec
from workflow.reports.phrase import Phrase
from workflow.reports.sql import S

NO_ANSWER = "no_answer"


def build(fb: FigureBuilder) -> list[FigureSpec]:
    specs = []
    c = fb.cohorts
    presented_total = _cohort_count(fb, dec("total"), c.presented)
    accepted_total = _cohort_count(fb, dec("accepted"), c.accepted)
    for dim, values in DIMENSIONS.items():
        rows = (_grouped(fb, dim) if fb.counts is None
                else _from_counts(fb.counts.equity, dim, presented_total, accepted_total))
        if set(rows) <= {NO_ANSWER}:
            continue  # nobody in scope answered this question: no figure
        codes = [*values, NO_ANSWER]
        lines: list[tuple[str, str, list[Hashable | Cell]]] = []
        for code in codes:
            p, a = rows.get(code, (0, 0))
            fb.put(("equity", dim, code, "presented"), p)
            fb.put(("equity", dim, code, "accepted"), a)
            text = (Phrase("Not asked, or no consent") if code == NO_ANSWER
                    else equity_label(dim, code, fb.lang))
            lines.append((code, text, [("equity", dim, code, "presented"),
                                       ("equity", dim, code, "accepted")]))
        p_total = _total(fb, dec("total"), ("equity", "presented_total"), presented_total)
        a_total = _total(fb, dec("accepted"), ("equity", "accepted_total"), accepted_total)
        fb.problem.relate([("equity", dim, c_, "presented") for c_ in codes], p_total)
        fb.problem.relate([("equity", dim, c_, "accepted") for c_ in codes], a_total)
        en, vi = DIMENSION_LABELS[dim]
        specs.append(FigureSpec(
            key=f"equity_self_{dim}", title=vi if fb.lang == "vi" else en,
            row_title=Phrase("Answer"),
            columns=[("presented", Phrase("Presented")), ("accepted", Phrase("Accepted"))],
            rows=lines, total_row=[p_total, a_total],
            note=Phrase("Optional, consent-based and self-identified; shown only in aggregate."),
            chart="none"))
    return specs


def _grouped(fb: FigureBuilder, dim: str) -> dict[str, tuple[int, int]]:
    """{answer or NO_ANSWER: (presented, accepted)}, grouped from the situations."""
    value = func.coalesce(EquityAnswer.value, NO_ANSWER)
    join = and_(EquityAnswer.situation_id == S.id, EquityAnswer.dimension == dim)
    return {code: (int(p), int(a or 0)) for code, p, a in fb.session.execute(
        select(value, func.count(), func.sum(case((S.accepted_at.is_not(None), 1), else_=0)))
        .select_from(S).outerjoin(EquityAnswer, join).where(fb.cohorts.presented)
        .group_by(value)).tuples()}


def answered(session: Session, presented: ColumnElement[bool]) -> dict[tuple[str, str, str], int]:
    """{(dimension, answer, "presented" | "accepted"): situations} of the `presented` cohort
    that answered (the shape the rollups keep: see rollup_measures.py)."""
    out: dict[tuple[str, str, str], int] = {}
    for dim, code, p, a in session.execute(
            select(EquityAnswer.dimension, EquityAnswer.value, func.count(),
                   func.sum(case((S.accepted_at.is_not(None), 1), else_=0)))
            .select_from(S).join(EquityAnswer, EquityAnswer.situation_id == S.id)
            .where(presented).group_by(EquityAnswer.dimension, EquityAnswer.value)).tuples():
        out[(dim, code, "presented")] = int(p)
        out[(dim, code, "accepted")] = int(a or 0)
    return out


def _from_counts(counts: dict[tuple[str, str, str], int], dim: str, presented_total: int,
                 accepted_total: int) -> dict[str, tuple[int, int]]:
    """What `_grouped` gives, from the answered counts: those who did not answer are the
    cohort less those who did (a row only when there are some, as a GROUP BY gives)."""
    rows: dict[str, tuple[int, int]] = {}
    for (d, code, kind), n in counts.items():
        if d == dim and n:
            p, a = rows.get(code, (0, 0))
            rows[code] = (p + n, a) if kind == "presented" else (p, a + n)
    missing = (presented_total - sum(p for p, _ in rows.values()),
               accepted_total - sum(a for _, a in rows.values()))
    if missing[0]:
        rows[NO_ANSWER] = missing
    return rows


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
