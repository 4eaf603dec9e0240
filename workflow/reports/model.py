"""The shape of a report once suppressed: plain data, ready for JSON, a page or a spreadsheet.

Every word in it (titles, labels, units, notes, the printed "no data" or "suppressed") is a
Phrase: English to whoever reads it as text, translatable by an adapter (phrase.py).

Why a separate shape: raw counts never leave workflow.reports. A figure is first described by
the keys of its cells (FigureSpec); only after suppression is it rendered into Cells, whose
`value` is None whenever the count is hidden, so no adapter can print what it must not.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from workflow.reports.phrase import Phrase
from workflow.reports.suppression import display

TOTAL = Phrase("Total")


@dataclass(frozen=True)
class Cell:
    """A published number: `value` is None when hidden; `text` is what to print."""

    value: int | float | None
    text: str


@runtime_checkable
class Deferred(Protocol):
    """A cell that can only be judged once suppression is solved (a share of counts)."""

    def cell(self, values: Mapping[Hashable, int], hidden: Mapping[Hashable, str],
             threshold: int) -> Cell: ...


@dataclass
class FigureSpec:
    """A figure before suppression: each entry is a cell key, an already-rendered Cell, or a
    Deferred one."""

    key: str
    title: str
    row_title: str
    columns: list[tuple[str, str]]
    rows: list[tuple[str, str, list[Hashable | Cell]]]
    total_row: list[Hashable | Cell] | None = None
    note: str = ""
    chart: str = "bar"

    def render(self, values: Mapping[Hashable, int], hidden: Mapping[Hashable, str],
               threshold: int) -> Figure:
        def cell(entry: Hashable | Cell) -> Cell:
            if isinstance(entry, Cell):
                return entry
            if isinstance(entry, Deferred):
                return entry.cell(values, hidden, threshold)
            value = values.get(entry, 0)
            reason = hidden.get(entry)
            return Cell(None if reason else value, display(value, reason, threshold))

        return Figure(
            key=self.key, title=self.title, row_title=self.row_title, note=self.note,
            chart=self.chart,
            columns=[{"code": c, "label": label} for c, label in self.columns],
            rows=[{"code": code, "label": label, "cells": [cell(e) for e in entries]}
                  for code, label, entries in self.rows],
            total=None if self.total_row is None
            else {"code": "total", "label": TOTAL, "cells": [cell(e) for e in self.total_row]},
        )


@dataclass
class Figure:
    key: str
    title: str
    row_title: str
    columns: list[dict[str, str]]
    rows: list[dict[str, Any]]
    total: dict[str, Any] | None
    note: str = ""
    chart: str = "bar"


@dataclass
class Statistic:
    """A duration summary; median and 90th percentile are hidden below the threshold."""

    key: str
    title: str
    unit: str
    count: Cell
    median: float | None
    p90: float | None


@dataclass
class Indicator:
    """A plan indicator as a share (percent) against its target."""

    key: str
    title: str
    share: Cell
    target: float | None
    met: bool | None


@dataclass
class Report:
    scope: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    statistics: list[Statistic] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    equity: list[Figure] = field(default_factory=list)

    def figure(self, key: str) -> Figure:
        for fig in (*self.figures, *self.equity):
            if fig.key == key:
                return fig
        raise KeyError(key)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
