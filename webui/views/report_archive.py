"""The archive of stored monthly reports: "what did we report for October", as it was stored.

The core decides who sees which table and rebuilds a report stored below its table's current
small-cell threshold before it is shown (workflow.reports.archive); this module draws what it
returns with the live report's own layout and template parts (reports/_report.html), tables
only: a chart is drawn from a live query, and a stored report has its numbers, not a query.
Addresses hold a table's code and a month, never anything of a person.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, render_template
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from webui.reports_views import page_layout, say
from webui.unit import reading, unit
from webui.views.common import message_of, said
from workflow import access
from workflow.errors import ValidationError
from workflow.reference.relabel import relabel
from workflow.reports.archive import Archived, stored_report, stored_reports
from workflow.reports.model import Cell, Figure, Report
from workflow.reports.phrase import Phrase
from workflow.reports.restored import report_from_body

bp = Blueprint("report_archive", __name__)


@bp.route("/reports/monthly")
@login_required
def index() -> ResponseReturnValue:
    with reading() as (s, actor):
        entries = stored_reports(s, actor)
        has_tables = bool(access.table_ids_in_scope(s, actor))
        return render_template("reports/monthly_index.html", entries=entries,
                               has_tables=has_tables)


@bp.route("/reports/monthly/<table_code>/<period>")
@login_required
def show(table_code: str, period: str) -> ResponseReturnValue:
    found = _found(table_code, period)
    if not isinstance(found, Archived):
        return found  # a period that is not a month
    report = in_reader_words(report_from_body(found.body))
    return render_template("reports/monthly_show.html", found=found, report=report,
                           layout=page_layout(report))


@bp.route("/reports/monthly/<table_code>/<period>/report.json")
@login_required
def download(table_code: str, period: str) -> ResponseReturnValue:
    """The stored body itself (after any rebuild), as a file."""
    found = _found(table_code, period)
    if not isinstance(found, Archived):
        return found
    response = Response(json.dumps(found.body, ensure_ascii=False, indent=2),
                        mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(found)}"'
    return response


def _found(table_code: str, period: str) -> Archived | ResponseReturnValue:
    """The stored report, or the page saying the period is not a month. A command, not a read:
    a report stored below its table's current threshold is rebuilt here (workflow.reports.
    archive)."""
    with unit() as (s, actor):
        try:
            return stored_report(s, actor, table_code, period)
        except ValidationError as exc:
            return _bad_period(exc)


def _bad_period(exc: ValidationError) -> ResponseReturnValue:
    return render_template("error.html", status=400, title=_("The request could not be read"),
                           message=message_of(exc)), 400


def _filename(found: Archived) -> str:
    code = re.sub(r"[^A-Za-z0-9-]+", "-", found.table_code).strip("-")
    return f"hubtable-monthly-{code}-{found.period}.json"


# -- the stored words in the reader's language ----------------------------------------------
def _word(text: Any) -> Any:
    """A stored word through the catalog: the scope line's Phrases as the live page says
    them; any other text when the catalog holds it as it is (a title, a column, "suppressed"),
    or when the reference data does (a code-list label: workflow.reference.relabel); else as
    stored (a number, a word with its parameters filled in)."""
    if isinstance(text, Phrase):
        return say(text)
    if isinstance(text, str) and text:  # never "": gettext("") is the catalog's header
        translated = said(text, {}, text)
        if translated == text:
            return relabel(text, str(get_locale() or "en")) or text
        return translated
    return text


def _line(line: dict[str, Any]) -> dict[str, Any]:
    return {**line, "label": _word(line["label"]),
            "cells": [_cell(c) for c in line.get("cells", [])]}


def _cell(cell: Cell) -> Cell:
    return replace(cell, text=_word(cell.text))


def _figure(fig: Figure) -> Figure:
    return replace(fig, title=_word(fig.title), row_title=_word(fig.row_title),
                   note=_word(fig.note),
                   columns=[{**c, "label": _word(c["label"])} for c in fig.columns],
                   rows=[_line(r) for r in fig.rows],
                   total=_line(fig.total) if fig.total else None)


def in_reader_words(report: Report) -> Report:
    """A copy of a stored report with its words in the reader's language where the catalog
    has them; codes, keys and numbers untouched (the layout finds figures by them)."""
    scope = {**report.scope, "period": _word(report.scope.get("period")),
             "suppression": _word(report.scope.get("suppression"))}
    return replace(
        report, scope=scope,
        figures=[_figure(f) for f in report.figures],
        equity=[_figure(f) for f in report.equity],
        statistics=[replace(st, title=_word(st.title), unit=_word(st.unit),
                            count=_cell(st.count)) for st in report.statistics],
        indicators=[replace(i, title=_word(i.title), share=_cell(i.share))
                    for i in report.indicators])
