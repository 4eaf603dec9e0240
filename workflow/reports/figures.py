"""The report's count figures, each one GROUP BY in the database.

Each method runs one aggregate query, records its counts in the shared suppression problem
under keys that name the quantity (so the same number in two figures is one cell), declares
which counts add up to which totals, and describes the figure to render once suppression is
solved. Nothing here loads situations: only grouped counts come back.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select, tuple_
from sqlalchemy.orm import Session, aliased

from workflow.models import Agency, Involvement, SituationRiskFactor
from workflow.reference import UnknownCode, load_catalog
from workflow.reports.counts import Counts
from workflow.reports.model import FigureSpec
from workflow.reports.phrase import Phrase
from workflow.reports.scope import Scope
from workflow.reports.sql import (
    DECISIONS,
    Cohorts,
    Expr,
    S,
    accepted_measures,
    closed_measures,
    decision,
    dialect,
    grouped,
    month_of,
)
from workflow.reports.suppression import Problem
from workflow.reports.words import DECISION_LABELS, OUTCOME_LABELS, PRESENTED, SECTOR, SITUATIONS

NOT_RECORDED = "not_recorded"
NO_LEAD = "no_lead"
TOP_FACTORS = 10


def dec(name: str) -> tuple[str, str]:
    """The shared key of a decision count ("total" is everything presented)."""
    return ("decision", name)


CLOSED_TOTAL = ("closed", "total")
#: The columns of the monthly trends figure that a line chart draws.
TREND_LINES = ("presented", "accepted", "closed")


def presented_dims(origin: type[Agency]) -> dict[str, Expr]:
    """The presented cohort's splits (besides the month): shared with the daily rollups."""
    return {
        "age_group": S.age_group,
        "gender": S.gender,
        "situation_type": S.situation_type,
        "origin_sector": origin.sector,
        "help_source": func.coalesce(S.help_source, NOT_RECORDED),
        "re_presented": case((S.previous_situation_id.is_not(None), 1), else_=0),
        "rejection": func.coalesce(S.rejection_reason, ""),
    }


def lead_sector(lead: type[Agency]) -> ColumnElement[str]:
    return func.coalesce(lead.sector, NO_LEAD)


class FigureBuilder:
    """Collects counts, relations and figure descriptions for one report."""

    def __init__(self, session: Session, scope: Scope, *, lang: str = "en",
                 now: datetime | None = None, counts: Counts | None = None) -> None:
        self.session = session
        # Counts already summed from the daily rollups (and the days computed live); without
        # them every figure groups the situations themselves.
        self.counts = counts
        self.assisting: dict[str, int] | None = None
        self.scope = scope
        self.lang = lang
        self.now = now
        self.catalog = load_catalog()
        self.cohorts = Cohorts(scope)
        self.problem = Problem()
        self.specs: list[FigureSpec] = []

    # -- helpers ---------------------------------------------------------------------------
    def label(self, kind: str | None, code: str) -> str:
        special = {NOT_RECORDED: Phrase("Not recorded"), NO_LEAD: Phrase("No lead agency yet")}
        if code in special:
            return special[code]
        if kind is None:
            return code
        try:
            return self.catalog.label(kind, code, self.lang)
        except UnknownCode:
            return code

    def codes(self, kind: str | None, found: Iterable[str], extra: Iterable[str] = ()
              ) -> list[str]:
        """Catalog order first (zeros shown), then any code found in the data but no longer
        in the catalog, so totals still add up."""
        known = list(self.catalog.items(kind)) if kind else []
        rest = sorted({c for c in found if c not in known})
        return [*known, *rest, *[e for e in extra if e not in known and e not in rest]]

    def rows(self, query: Select[Any]) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.session.execute(query)]

    def put(self, key: Hashable, value: int) -> None:
        self.problem.set(key, int(value))

    # -- filter 2: the presented cohort, every split in one pass ---------------------------
    def presented_breakdowns(self) -> None:
        """Count the presented cohort by decision and each dimension (one scan on PostgreSQL);
        the figures below read from here."""
        if self.counts is not None:
            self._presented = self.counts.presented
            return
        d = decision()
        self._origin = aliased(Agency)
        self._dims = {**presented_dims(self._origin),
                      "month": month_of(self.session, S.presented_at)}
        self._presented = grouped(
            self.session, {k: (e, d) for k, e in self._dims.items()}, [func.count()],
            self.cohorts.presented,
            joins=((self._origin, self._origin.id == S.originating_agency_id),))

    def cohort_breakdowns(self) -> None:
        """Accepted and closed cohorts split by age group, gender and (accepted) lead sector,
        (closed) conclusion and month, with the indicators' measures: one scan each on
        PostgreSQL. Lead sector, conclusions, trends and the indicators read from here."""
        if self.counts is not None:
            self.accepted_rows, self.closed_rows = self.counts.accepted, self.counts.closed
            return
        _, end = self.scope.period.bounds()
        as_of = min(end, self.now or datetime.now(UTC))
        lead = aliased(Agency)
        self.accepted_rows = grouped(
            self.session,
            {"age_group": (S.age_group,), "gender": (S.gender,),
             "lead_sector": (lead_sector(lead),)},
            accepted_measures(as_of), self.cohorts.accepted,
            joins=((lead, lead.id == S.lead_agency_id, True),))
        lowered = [c for c, item in self.catalog.conclusion_reasons.items()
                   if item.outcome == "risk_lowered"]
        self.closed_rows = grouped(
            self.session,
            {"age_group": (S.age_group,), "gender": (S.gender,),
             "conclusion": (S.conclusion_reason,),
             "closed_month": (month_of(self.session, S.closed_at),)},
            closed_measures(lowered), self.cohorts.closed)

    def decisions(self) -> None:
        counts: dict[str, int] = {}
        for _, name, n in self._presented["age_group"]:
            counts[name] = counts.get(name, 0) + n
        for name in DECISIONS:
            self.put(dec(name), counts.get(name, 0))
        self.put(dec("total"), sum(counts.values()))
        self.problem.relate([dec(n) for n in DECISIONS], dec("total"))
        self.specs.append(FigureSpec(
            key="decisions", title=Phrase("Situations presented, accepted as AER and rejected"),
            row_title=Phrase("Decision"), columns=[("count", SITUATIONS)],
            rows=[(n, DECISION_LABELS[n], [dec(n)]) for n in DECISIONS],
            total_row=[dec("total")],
        ))

    def by_decision(self, key: str, title: Phrase | None, row_title: Phrase | None,
                    kind: str | None, *,
                    rows: list[Any] | None = None, add_spec: bool = True) -> list[Any]:
        """A two-way table of the presented cohort: one row per code, one column per decision,
        row totals, and column totals that are the decision counts themselves."""
        data = self._presented[key]
        codes = rows if rows is not None else self.codes(kind, (r[0] for r in data))
        counts = {(r[0], r[1]): r[2] for r in data}
        for code in codes:
            for name in DECISIONS:
                self.put((key, code, name), counts.get((code, name), 0))
            self.put((key, code, "total"), sum(counts.get((code, n), 0) for n in DECISIONS))
            self.problem.relate([(key, code, n) for n in DECISIONS], (key, code, "total"))
        for name in DECISIONS:
            self.problem.relate([(key, c, name) for c in codes], dec(name))
        self.problem.relate([(key, c, "total") for c in codes], dec("total"))
        if add_spec and title is not None and row_title is not None:
            self.specs.append(FigureSpec(
                key=key, title=title, row_title=row_title,
                columns=[*((n, DECISION_LABELS[n]) for n in DECISIONS), ("total", PRESENTED)],
                rows=[(c, self.label(kind, c), [(key, c, n) for n in (*DECISIONS, "total")])
                      for c in codes],
                total_row=[dec(n) for n in (*DECISIONS, "total")],
            ))
        return codes

    def demographics(self) -> None:
        self.by_decision("age_group", Phrase("By age group"), Phrase("Age group"), "age_groups")
        self.by_decision("gender", Phrase("By gender"), Phrase("Gender"), "genders")
        self.by_decision("situation_type", Phrase("By situation type"),
                         Phrase("Situation type"), "situation_types")

    def originating_sectors(self) -> None:
        self.by_decision("origin_sector", Phrase("Originating agency sector"), SECTOR,
                         "sectors")

    def help_sources(self) -> None:
        self.by_decision("help_source", Phrase("How help was sought (help source)"),
                         Phrase("Help source"), "help_sources")

    def re_presentations(self) -> None:
        self.by_decision("re_presented", None, None, None, rows=[0, 1], add_spec=False)
        self.specs.append(FigureSpec(
            key="re_presented", title=Phrase("First presentations and re-presentations"),
            row_title=Phrase("Presentation"),
            columns=[*((n, DECISION_LABELS[n]) for n in DECISIONS), ("total", PRESENTED)],
            rows=[(str(code), label, [("re_presented", code, n) for n in (*DECISIONS, "total")])
                  for code, label in ((0, Phrase("First presentation")),
                                      (1, Phrase("Re-presentation")))],
            total_row=[dec(n) for n in (*DECISIONS, "total")],
        ))

    def rejection_reasons(self) -> None:
        data: dict[str, int] = {}
        for reason, _, n in self._presented["rejection"]:
            if reason:
                data[reason] = data.get(reason, 0) + n
        codes = self.codes("rejection_reasons", data)
        for code in codes:
            self.put(("rejection", code), data.get(code, 0))
        self.problem.relate([("rejection", c) for c in codes], dec("rejected"))
        self.specs.append(FigureSpec(
            key="rejection_reasons", title=Phrase("Reasons for rejection"),
            row_title=Phrase("Reason"), columns=[("count", SITUATIONS)],
            rows=[(c, self.label("rejection_reasons", c), [("rejection", c)]) for c in codes],
            total_row=[dec("rejected")],
        ))

    # -- accepted situations: risk factors and agencies ----------------------------------
    def _factor_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Situations per category (a situation may have two factors of one category, so
        distinct (situation, category) pairs are counted) and per factor. PostgreSQL does both
        over one join with GROUPING SETS; SQLite runs two queries."""
        if self.counts is not None:
            return self.counts.categories, self.counts.factors
        rf = SituationRiskFactor
        joined = (select(rf.situation_id, rf.category_code, rf.factor_code)
                  .join(S, S.id == rf.situation_id).where(self.cohorts.accepted).subquery())
        c = joined.c
        if dialect(self.session) == "postgresql":
            inner = (select(c.category_code, c.factor_code, func.count().label("n"))
                     .group_by(func.grouping_sets(tuple_(c.category_code, c.situation_id),
                                                  tuple_(c.factor_code)))
                     .subquery())
            cats: dict[str, int] = {}
            factors: dict[str, int] = {}
            for category, factor, pairs, n in self.rows(
                    select(inner.c.category_code, inner.c.factor_code, func.count(),
                           func.sum(inner.c.n))
                    .group_by(inner.c.category_code, inner.c.factor_code)):
                if factor is None:
                    cats[category] = int(pairs)
                else:
                    factors[factor] = int(n)
            return cats, factors
        pairs = select(c.situation_id, c.category_code).distinct().subquery()
        cats = dict(self.rows(select(pairs.c.category_code, func.count())
                              .group_by(pairs.c.category_code)))
        factors = dict(self.rows(select(c.factor_code, func.count()).group_by(c.factor_code)))
        return cats, factors

    def risk_factors(self) -> None:
        """Counts of situations per category and per factor. A situation has several factors,
        so these do not add up to a total: small counts are hidden, nothing can be subtracted."""
        cats, factors = self._factor_counts()
        codes = [c for c in self.codes("categories", cats) if cats.get(c)]
        codes.sort(key=lambda c: -cats[c])
        for code in codes:
            self.put(("category", code), cats[code])
        self.specs.append(FigureSpec(
            key="risk_categories", title=Phrase("Risk-factor categories (accepted situations)"),
            row_title=Phrase("Category"), columns=[("count", SITUATIONS)],
            rows=[(c, self.label("categories", c), [("category", c)]) for c in codes],
            note=Phrase("A situation usually has factors in several categories."),
        ))
        top = sorted(factors.items(), key=lambda item: (-item[1], item[0]))[:TOP_FACTORS]
        for code, n in top:
            self.put(("factor", code), n)
        self.specs.append(FigureSpec(
            key="top_factors", title=Phrase("The %(n)s most frequent risk factors", n=TOP_FACTORS),
            row_title=Phrase("Risk factor"), columns=[("count", SITUATIONS)],
            rows=[(c, self.label("factors", c), [("factor", c)]) for c, _ in top],
        ))

    def lead_sectors(self) -> None:
        data = {r[0]: r[1] for r in self.accepted_rows["lead_sector"]}
        codes = self.codes("sectors", data, extra=[NO_LEAD])
        for code in codes:
            self.put(("lead_sector", code), data.get(code, 0))
        self.problem.relate([("lead_sector", c) for c in codes], dec("accepted"))
        self.specs.append(FigureSpec(
            key="lead_sectors", title=Phrase("Lead agency sector (accepted situations)"),
            row_title=SECTOR, columns=[("count", SITUATIONS)],
            rows=[(c, self.label("sectors", c), [("lead_sector", c)]) for c in codes],
            total_row=[dec("accepted")],
        ))

    def assisting_sectors(self) -> None:
        """Situations with at least one assisting agency of each sector (not additive)."""
        data = self.assisting = self._assisting_counts()  # balance reads them too
        codes = self.codes("sectors", data)
        for code in codes:
            self.put(("assist_sector", code), data.get(code, 0))
        self.specs.append(FigureSpec(
            key="assisting_sectors",
            title=Phrase("Assisting agency sectors (accepted situations)"),
            row_title=SECTOR, columns=[("count", SITUATIONS)],
            rows=[(c, self.label("sectors", c), [("assist_sector", c)]) for c in codes],
            note=Phrase("A situation may have assisting agencies of several sectors."),
        ))

    def _assisting_counts(self) -> dict[str, int]:
        if self.counts is not None:
            return self.counts.assisting
        helper = aliased(Agency)
        pairs = (select(Involvement.situation_id, helper.sector)
                 .join(S, S.id == Involvement.situation_id)
                 .join(helper, helper.id == Involvement.agency_id)
                 .where(self.cohorts.accepted, Involvement.role == "assisting")
                 .distinct().subquery())
        return dict(self.rows(select(pairs.c.sector, func.count()).group_by(pairs.c.sector)))

    # -- closure ---------------------------------------------------------------------------
    def conclusions(self) -> None:
        """Conclusion reasons grouped under their outcome (risk lowered, still AER,
        transferred); reasons add up to their outcome, outcomes to the closed total."""
        data = {r[0]: r[1] for r in self.closed_rows["conclusion"]}
        codes = self.codes("conclusion_reasons", data)
        groups: dict[str, list[str]] = {}
        for code in codes:
            try:
                outcome = self.catalog.outcome_of(code)
            except UnknownCode:
                outcome = "other"
            groups.setdefault(outcome, []).append(code)
            self.put(("conclusion", code), data.get(code, 0))
        for outcome, members in groups.items():
            self.put(("outcome", outcome), sum(data.get(c, 0) for c in members))
            self.problem.relate([("conclusion", c) for c in members], ("outcome", outcome))
        self.put(CLOSED_TOTAL, sum(data.values()))
        self.problem.relate([("outcome", o) for o in groups], CLOSED_TOTAL)
        self.specs.append(FigureSpec(
            key="outcomes", title=Phrase("Outcomes of closed situations"),
            row_title=Phrase("Outcome"), columns=[("count", SITUATIONS)],
            rows=[(o, OUTCOME_LABELS.get(o, o), [("outcome", o)]) for o in groups],
            total_row=[CLOSED_TOTAL],
        ))
        self.specs.append(FigureSpec(
            key="conclusions", title=Phrase("Conclusion reasons"),
            row_title=Phrase("Conclusion"), columns=[("count", SITUATIONS)],
            rows=[(c, self.label("conclusion_reasons", c), [("conclusion", c)]) for c in codes],
            total_row=[CLOSED_TOTAL],
        ))

    # -- trends ----------------------------------------------------------------------------
    def trends(self) -> None:
        """Per month: presented (with decisions) and closed. Both columns add up over months
        to the period's totals."""
        months = self.scope.period.months()
        self.by_decision("month", None, None, None, rows=months, add_spec=False)
        data = {r[0]: r[1] for r in self.closed_rows["closed_month"]}
        for m in months:
            self.put(("closed_month", m), data.get(m, 0))
        self.problem.relate([("closed_month", m) for m in months], CLOSED_TOTAL)
        self.specs.append(FigureSpec(
            key="trends", title=Phrase("Trends by month"), row_title=Phrase("Month"), chart="line",
            columns=[("presented", PRESENTED), *((n, DECISION_LABELS[n]) for n in DECISIONS),
                     ("closed", Phrase("Closed"))],
            rows=[(m, m, [("month", m, "total"), *(("month", m, n) for n in DECISIONS),
                          ("closed_month", m)]) for m in months],
            total_row=[dec("total"), *(dec(n) for n in DECISIONS), CLOSED_TOTAL],
        ))

    def all(self) -> None:
        """Every count figure, in the order a page shows them (decisions first, since other
        figures share its totals)."""
        self.presented_breakdowns()
        self.cohort_breakdowns()
        self.decisions()
        self.rejection_reasons()
        self.demographics()
        self.re_presentations()
        self.originating_sectors()
        self.lead_sectors()
        self.assisting_sectors()
        self.risk_factors()
        self.conclusions()
        self.trends()
        self.help_sources()
