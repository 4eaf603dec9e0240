"""The whole de-identified report for a scope: figures, durations, indicators, equity lens.

All counts go into one suppression problem before anything is rendered, so a number hidden in
one figure stays hidden wherever the same quantity appears.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from workflow.reports import balance, disclosure_bases, follow_up, suppression
from workflow.reports import equity as self_identified
from workflow.reports.durations import durations
from workflow.reports.figures import FigureBuilder
from workflow.reports.indicators import IndicatorBuilder
from workflow.reports.model import Figure, FigureSpec, Report
from workflow.reports.phrase import Phrase
from workflow.reports.rollup_reads import report_counts
from workflow.reports.scope import Scope


def suppression_note(threshold: int) -> Phrase:
    """The scope line's note; said again from a stored body's threshold (restored.py)."""
    if threshold <= 1:
        return Phrase("no small-cell suppression (threshold 1)")
    return Phrase("counts from 1 to %(below)s are shown as <%(threshold)s; 'x' marks a count "
                  "hidden so that the others cannot be subtracted from a total",
                  below=threshold - 1, threshold=threshold)


def build_report(session: Session, scope: Scope, *, lang: str = "en",
                 now: datetime | None = None, rollups: bool = True) -> Report:
    """The report; from the daily rollups (plus the days they do not cover yet, grouped
    live) when they exist and `rollups`, else from the situations alone: same figures.
    `lang` picks the code-list labels; the report's own words are Phrases, English until an
    adapter translates them (phrase.py)."""
    now = now or datetime.now(UTC)
    if session.get_bind().dialect.name == "postgresql":
        # A report is a handful of large sorts and hash aggregates: give them memory for this
        # transaction only, and skip JIT compilation, which costs more than it saves here.
        session.execute(text("SET LOCAL work_mem = '256MB'"))
        session.execute(text("SET LOCAL jit = off"))
    counts = report_counts(session, scope, now) if rollups else None
    fb = FigureBuilder(session, scope, lang=lang, now=now, counts=counts)
    fb.all()
    basis_codes = disclosure_bases.collect(fb)
    ib = IndicatorBuilder(fb)
    indicators, overall = ib.overall()
    equity_specs = [
        ib.equity("age_group", "age_groups", Phrase("Equity lens by age group"),
                  Phrase("Age group"), overall),
        ib.equity("gender", "genders", Phrase("Equity lens by gender"), Phrase("Gender"),
                  overall),
        *self_identified.build(fb),
    ]
    balance_specs, balance_pending = balance.build(fb)
    follow_specs, follow_pending = follow_up.build(fb)
    fb.problem.check_additive()
    hidden = fb.problem.solve(scope.threshold)
    values = fb.problem.values
    late_indicators = [p.indicator(values, hidden, scope.threshold)
                       for p in (*indicators, *follow_pending, *balance_pending)]

    def render(specs: list[FigureSpec]) -> list[Figure]:
        return [spec.render(values, hidden, scope.threshold) for spec in specs]

    return Report(
        scope={
            "label": scope.label,
            "tables": list(scope.table_codes),
            "from": scope.period.start.isoformat(),
            "to": scope.period.end.isoformat(),
            "period": scope.period.label,
            "threshold": scope.threshold,
            "suppression": suppression_note(scope.threshold),
            "suppression_method": suppression.METHOD,
        },
        figures=[*render([*fb.specs, *balance_specs, *follow_specs]),
                 disclosure_bases.figure(fb, basis_codes, dict(values), dict(hidden),
                                         scope.threshold, lang)],
        statistics=durations(session, fb.cohorts.accepted, fb.cohorts.closed, scope.threshold,
                             hists=None if counts is None
                             else (counts.to_contact, counts.to_closure)),
        indicators=late_indicators,
        equity=render(equity_specs),
    )
