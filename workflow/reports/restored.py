"""A stored report's body (`Report.as_dict()`, kept as JSON) read back as a Report.

Why: the archive of monthly reports is drawn by the very code and templates that draw the live
report (its layout, its tables), so a stored month looks like the month it reports on.

Nothing is computed again: every number and word is the stored one. Only the scope line's
period and suppression note, which JSON kept as English text without their templates, are made
again as Phrases (so a page can say them in its reader's language) from the stored dates and
threshold, and only when they read exactly as stored; else the stored text stays.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from workflow.reports.model import Cell, Figure, Indicator, Report, Statistic
from workflow.reports.phrase import Phrase
from workflow.reports.report import suppression_note
from workflow.reports.scope import Period


def report_from_body(body: Mapping[str, Any]) -> Report:
    """The Report a stored body was made from (its words as plain text, but for the scope
    line); raises KeyError or ValueError for a body that is not one."""
    return Report(
        scope=_scope(body["scope"]),
        figures=[_figure(f) for f in body.get("figures", [])],
        statistics=[Statistic(key=s["key"], title=s["title"], unit=s["unit"],
                              count=_cell(s["count"]), median=s.get("median"),
                              p90=s.get("p90"))
                    for s in body.get("statistics", [])],
        indicators=[Indicator(key=i["key"], title=i["title"], share=_cell(i["share"]),
                              target=i.get("target"), met=i.get("met"))
                    for i in body.get("indicators", [])],
        equity=[_figure(f) for f in body.get("equity", [])],
    )


def _cell(stored: Mapping[str, Any]) -> Cell:
    return Cell(stored.get("value"), str(stored.get("text", "")))


def _line(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A row (or the total): its code and label, and its cells as Cells again."""
    return {**stored, "cells": [_cell(c) for c in stored.get("cells", [])]}


def _figure(stored: Mapping[str, Any]) -> Figure:
    total = stored.get("total")
    return Figure(key=stored["key"], title=stored["title"], row_title=stored["row_title"],
                  columns=[dict(c) for c in stored.get("columns", [])],
                  rows=[_line(r) for r in stored.get("rows", [])],
                  total=_line(total) if total else None, note=stored.get("note", ""),
                  chart=stored.get("chart", "bar"))


def _scope(stored: Mapping[str, Any]) -> dict[str, Any]:
    scope = dict(stored)
    try:
        period = Period(date.fromisoformat(scope["from"]), date.fromisoformat(scope["to"]))
        scope["period"] = _same(scope.get("period"), period.label)
    except (KeyError, TypeError, ValueError):
        pass  # dates it does not hold: the stored text stays
    threshold = scope.get("threshold")
    if isinstance(threshold, int) and not isinstance(threshold, bool):
        scope["suppression"] = _same(scope.get("suppression"), suppression_note(threshold))
    return scope


def _same(stored: Any, again: Phrase) -> Any:
    """The Phrase made again when it reads as the stored text, else the stored text."""
    return again if stored == str(again) else stored
