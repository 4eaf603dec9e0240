"""Plan indicators (shares against targets) and the equity lens (the same split by age group
and gender), from the conditional sums FigureBuilder.cohort_breakdowns counted in the database
(sql.accepted_measures and sql.closed_measures).

The plans' indicators (DOMAIN.md, "Indicators the plans ask for"):
- received_help: accepted situations with at least one service mobilised or a first contact
  made, over accepted situations (target 100% by default);
- first_contact_on_time: first contacts made by their due time, over accepted situations whose
  first contact was due by the end of the period (or was made);
- risk_lowered: situations closed with an outcome of "risk lowered", over closed situations.
A share is hidden whenever it would reveal a small count (see suppression.share_hidden), and
whenever a published count it divides by (or, for risk lowered, divides) is hidden: 60.0% of
an 'x' known to lie between 13 and 16 can only be 9 of 15, which gives the 'x' back.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from workflow.reports.figures import CLOSED_TOTAL, FigureBuilder, dec
from workflow.reports.model import Cell, FigureSpec, Indicator
from workflow.reports.phrase import Phrase
from workflow.reports.suppression import share_hidden
from workflow.reports.words import percent

SPLITS = ("age_group", "gender")
TITLES = {
    "received_help": Phrase("Accepted situations that received help"),
    "first_contact_on_time": Phrase("First contacts within the deadline"),
    "risk_lowered": Phrase("Closed situations with risk lowered"),
}
#: What a share prints when there is nothing to divide by, or when it is hidden.
NO_DATA = Phrase("no data")
SUPPRESSED = Phrase("suppressed")


def share_cell(numerator: int, denominator: int, threshold: int) -> Cell:
    if denominator == 0:
        return Cell(None, NO_DATA)
    if share_hidden(numerator, denominator, threshold):
        return Cell(None, SUPPRESSED)
    value = round(100.0 * numerator / denominator, 1)
    return Cell(value, percent(value))


@dataclass(frozen=True)
class Ratio:
    """A share judged once suppression is solved: hidden when a count it rests on is."""

    numerator: int
    denominator: int
    rests_on: tuple[Hashable, ...] = ()

    def cell(self, values: Mapping[Hashable, int], hidden: Mapping[Hashable, str],
             threshold: int) -> Cell:
        if self.denominator and any(k in hidden for k in self.rests_on):
            return Cell(None, SUPPRESSED)
        return share_cell(self.numerator, self.denominator, threshold)


@dataclass(frozen=True)
class PlanIndicator:
    """A plan indicator, judged once suppression is solved."""

    key: str
    ratio: Ratio
    target: float | None

    def indicator(self, values: Mapping[Hashable, int], hidden: Mapping[Hashable, str],
                  threshold: int) -> Indicator:
        cell = self.ratio.cell(values, hidden, threshold)
        met = None if self.target is None or cell.value is None else cell.value >= self.target
        return Indicator(key=self.key, title=TITLES[self.key], share=cell, target=self.target,
                         met=met)


class IndicatorBuilder:
    """Reads the accepted and closed cohorts' splits that FigureBuilder.cohort_breakdowns
    counted (count, helped, due, on time; count, lowered)."""

    def __init__(self, figures: FigureBuilder) -> None:
        self.fb = figures
        self._accepted = figures.accepted_rows
        self._closed = figures.closed_rows

    def _total(self, rows: list[tuple[Any, ...]], width: int) -> tuple[int, ...]:
        """The whole cohort: the sum over the groups of one split (every situation has
        exactly one age group)."""
        return tuple(sum(int(r[1 + i]) for r in rows) for i in range(width))

    def _shares(self, acc: tuple[Any, ...], clo: tuple[Any, ...], accepted_key: Hashable,
                closed_key: Hashable, lowered_key: Hashable | None = None) -> dict[str, Ratio]:
        """The three shares; each rests on the published cells of its counts."""
        _, helped, due, on_time = (int(v) for v in acc)
        closed, lowered = (int(v) for v in clo)
        accepted = int(acc[0])
        return {
            "received_help": Ratio(helped, accepted, (accepted_key,)),
            "first_contact_on_time": Ratio(on_time, due),
            "risk_lowered": Ratio(lowered, closed,
                                  (closed_key,) if lowered_key is None
                                  else (closed_key, lowered_key)),
        }

    def overall(self) -> tuple[list[PlanIndicator], dict[str, Ratio]]:
        acc = self._total(self._accepted[SPLITS[0]], 4)
        clo = self._total(self._closed[SPLITS[0]], 2)
        shares = self._shares(acc, clo, dec("accepted"), CLOSED_TOTAL,
                              ("outcome", "risk_lowered"))
        out = [PlanIndicator(key, ratio, self.fb.scope.targets.get(key))
               for key, ratio in shares.items()]
        return out, shares

    def equity(self, dim: str, kind: str, title: Phrase, row_title: Phrase,
               overall: dict[str, Ratio]) -> FigureSpec:
        """One row per group: accepted (the same cell as in the demographic figure), its
        shares, closed (adding up to the closed total) and the risk-lowered share."""
        fb = self.fb
        acc = {r[0]: tuple(r[1:]) for r in self._accepted[dim]}
        clo = {r[0]: tuple(r[1:]) for r in self._closed[dim]}
        codes = fb.codes(kind, set(acc) | set(clo))
        rows = []
        for code in codes:
            fb.put(("closed_by", dim, code), clo.get(code, (0, 0))[0])
            shares = self._shares(acc.get(code, (0, 0, 0, 0)), clo.get(code, (0, 0)),
                                  (dim, code, "accepted"), ("closed_by", dim, code))
            rows.append((code, fb.label(kind, code), [
                (dim, code, "accepted"), shares["received_help"],
                shares["first_contact_on_time"], ("closed_by", dim, code),
                shares["risk_lowered"]]))
        fb.problem.relate([("closed_by", dim, c) for c in codes], CLOSED_TOTAL)
        return FigureSpec(
            key=f"equity_{dim}", title=title, row_title=row_title,
            columns=[("accepted", Phrase("Accepted")),
                     ("received_help", Phrase("Received help (%)")),
                     ("first_contact_on_time", Phrase("First contact on time (%)")),
                     ("closed", Phrase("Closed")), ("risk_lowered", Phrase("Risk lowered (%)"))],
            rows=rows,
            total_row=[dec("accepted"), overall["received_help"],
                       overall["first_contact_on_time"], CLOSED_TOTAL, overall["risk_lowered"]],
            chart="none",
        )
