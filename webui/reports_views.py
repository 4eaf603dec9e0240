"""Reports for managers and chairs: de-identified figures, charts, indicators, exports.

Everything shown comes from workflow.reports, already suppressed; this module only draws it,
in the reader's language: the report's words are Phrases (English templates with their
parameters), translated here through the catalog as the core's error messages are.
Charts are SVG drawn on the server by pygal and served from a route as image/svg+xml (shown
with <img alt>, the numbers in a table beside each), so the page needs no script. Who may see
which tables is decided by workflow.reports.resolve_scope (managers: their assigned tables;
chairs: their tables; anyone else: 403).
"""

from __future__ import annotations

import io
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import fields, is_dataclass, replace
from typing import Any

import pygal
from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from pygal.style import Style
from sqlalchemy import select
from sqlalchemy.orm import Session

from webui.unit import reading
from webui.views.common import message_of, said
from workflow import access
from workflow.db import QueryTimeout, statement_timeout
from workflow.errors import ValidationError
from workflow.models import Table, User
from workflow.reports import Report, Scope, build_report, parse_period, resolve_scope
from workflow.reports.exports import (
    write_aggregates_csv,
    write_json,
    write_records_csv,
    write_records_method_csv,
    write_xlsx,
)
from workflow.reports.figures import TREND_LINES
from workflow.reports.model import Cell, Figure, Indicator
from workflow.reports.phrase import Phrase
from workflow.reports.sql import DECISIONS

ACCEPTED, REJECTED = DECISIONS[0], DECISIONS[1]  # the decisions figure's columns

bp = Blueprint("reports", __name__, url_prefix="/reports")

PARAMS = ("table", "region", "from", "to")
CACHE_SECONDS = 60
CACHE_SIZE = 32
CHART_STYLE = Style(background="#ffffff", plot_background="#ffffff", foreground="#1b1b1b",
                    foreground_strong="#1b1b1b", foreground_subtle="#4a4a4a",
                    colors=("#0b4f8a", "#a4001c", "#0a6b2d", "#7a3e00", "#5b2a86"),
                    font_family="system-ui, sans-serif")
_SCRIPT = re.compile(rb"<script.*?</script>", re.S)
#: A chart draws at most this many points (rows); the bounded period keeps a monthly trend at
#: 61 months, and the table beside the chart always has every row.
MAX_CHART_POINTS = 120
#: Seconds one report's SQL may run before the database cancels it (see QueryTimeout below).
REPORT_TIMEOUT_SECONDS = 20.0


def _timeout(session: Session) -> AbstractContextManager[None]:
    seconds = float(current_app.config.get("REPORT_TIMEOUT_SECONDS", REPORT_TIMEOUT_SECONDS))
    return statement_timeout(session, seconds)


@bp.errorhandler(QueryTimeout)
def _too_slow(exc: QueryTimeout) -> ResponseReturnValue:
    message = _("This report took too long to compute and was stopped. Choose a shorter "
                "period or a single table and try again.")
    return render_template("error.html", status=503, title=_("Report stopped"),
                           message=message), 503


def _params() -> dict[str, str]:
    """The report's query: table or region and the period, as the user typed them."""
    return {k: request.args.get(k, "").strip()[:40] for k in PARAMS}


def _cache() -> OrderedDict[tuple, tuple[float, Report]]:
    """This application's recent reports (one per user and query), oldest first."""
    return current_app.extensions.setdefault("hubtable_report_cache", OrderedDict())


def _scope(session: Session, actor: User, params: dict[str, str]) -> Scope:
    period = parse_period(params["from"] or None, params["to"] or None)
    return resolve_scope(session, period, table=params["table"] or None,
                         region=params["region"] or None, actor=actor)


def _report(session: Session, actor: User, params: dict[str, str]) -> Report:
    """The report for these parameters; reused for a minute within this process so that a
    page and its charts compute it once. The scope (and so the access check) is resolved on
    every request: a withdrawn table is refused at once, never served from the cache."""
    scope = _scope(session, actor, params)
    lang = str(getattr(current_user, "language", "en"))
    cache = _cache()
    key = (actor.id, scope.table_ids, scope.period, scope.threshold, lang)
    hit = cache.get(key)
    if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    with _timeout(session):
        rep = build_report(session, scope, lang=lang)
    cache[key] = (time.monotonic(), rep)
    while len(cache) > CACHE_SIZE:
        cache.popitem(last=False)
    return rep


def say(value: str) -> str:
    """A report's Phrase in the reader's language: its template through the catalog, then its
    parameters, each said the same way (the English when the catalog's entry lost one). Any
    other text is already the reader's: a code-list label, a number, a month, a table's code.
    A decimal parameter is written in the reader's locale (39,7 in Vietnamese)."""
    if not isinstance(value, Phrase):
        return value
    params = {k: say(v) if isinstance(v, str) else format_decimal(v) if isinstance(v, float)
              else v for k, v in value.params.items()}
    return said(value.template, params, str(value))


def localised(value: Any) -> Any:
    """A copy of a report (or any part of it) with every Phrase said in the reader's language;
    the cached report itself stays as built (the exports keep its English words)."""
    if isinstance(value, str):
        return say(value)
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: localised(getattr(value, f.name))
                                 for f in fields(value)})
    if isinstance(value, dict):
        return {k: localised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [localised(v) for v in value]
    return value


def _choices(session: Session, actor: User) -> tuple[list[Table], list[str]]:
    ids = access.table_ids_in_scope(session, actor)
    tables = list(session.scalars(select(Table).where(Table.id.in_(ids)).order_by(Table.code)))
    return tables, sorted({t.region for t in tables if t.region})


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    params = _params()
    with reading() as (s, actor):
        access.require_permission(actor, "reports.view")
        tables, regions = _choices(s, actor)
        errors: dict[str, str] = {}
        rep = None
        if tables:
            try:
                rep = localised(_report(s, actor, params))
            except ValidationError as exc:
                errors[exc.field or "_form"] = message_of(exc)
        query = {k: v for k, v in params.items() if v}
        status = 400 if errors else 200
        layout = page_layout(rep) if rep else None
        return render_template("reports/index.html", report=rep, params=params, query=query,
                               tables=tables, regions=regions, errors=errors,
                               layout=layout), status


# -- the page's order: summary and indicators first, then what has data -------------------
def has_numbers(fig: Figure) -> bool:
    """Some cell shows a count other than zero: a chart of it would draw something (pygal
    says "No data" otherwise, and a chart of suppressed cells only is empty too)."""
    return any(c.value for row in fig.rows for c in row["cells"])


def is_empty(fig: Figure) -> bool:
    """Every cell is a plain zero: nothing happened, and nothing is hidden either."""
    return all(c.value == 0 for row in fig.rows for c in row["cells"])


def _cell(fig: Figure, code: str, column: int = 0) -> Cell | None:
    if code == "total":
        return fig.total["cells"][column] if fig.total else None
    for row in fig.rows:
        if row["code"] == code:
            return row["cells"][column]
    return None


def page_layout(rep: Report) -> dict[str, Any]:
    """What the page shows where: the key figures (summary), which figures get a chart,
    which a table only, and which are left out because there is nothing in them."""
    decisions = rep.figure("decisions")
    outcomes = rep.figure("outcomes")
    indicators = {i.key: i.share for i in rep.indicators}
    stats = {st.key: st for st in rep.statistics}
    summary = [
        ("n_presented", _cell(decisions, "total")),
        ("n_accepted", _cell(decisions, ACCEPTED)),
        ("n_rejected", _cell(decisions, REJECTED)),
        ("n_closed", _cell(outcomes, "total")),
        ("risk_lowered", indicators.get("risk_lowered")),
        ("first_contact_on_time", indicators.get("first_contact_on_time")),
    ]
    contact = stats.get("to_first_contact")
    shown = [fig for fig in rep.figures if not is_empty(fig)]
    return {
        "summary": [(key, cell) for key, cell in summary if cell is not None],
        "median_contact": contact.median if contact else None,
        "indicators_chart": any(i.share.value is not None for i in rep.indicators),
        "figures": shown,
        "charted": {fig.key for fig in shown if fig.key in CHARTS and has_numbers(fig)},
        "empty": [fig for fig in rep.figures if is_empty(fig)],
        "equity": [fig for fig in rep.equity if not is_empty(fig)],
    }


# -- charts -------------------------------------------------------------------------------
def _series(fig: Figure) -> tuple[list[str], list[tuple[str, list[Any]]]]:
    """Rows with something to show; one series per column (hidden counts are gaps)."""
    rows = [r for r in fig.rows if any(c.value for c in r["cells"]) or
            any(c.value is None for c in r["cells"])][-MAX_CHART_POINTS:]
    columns = [(i, c) for i, c in enumerate(fig.columns) if c["code"] != "total"
               or len(fig.columns) == 1]
    return ([r["label"] for r in rows],
            [(c["label"], [r["cells"][i].value for r in rows]) for i, c in columns])


def _bar(fig: Figure) -> bytes:
    labels, series = _series(fig)
    chart_type = pygal.StackedBar if len(series) > 1 else pygal.HorizontalBar
    chart = chart_type(js=[], style=CHART_STYLE, no_data_text=_("No data"), width=640,
                       height=max(260, 34 * len(labels)),
                       show_legend=len(series) > 1, legend_at_bottom=True, print_values=False,
                       truncate_label=40, x_label_rotation=0 if len(series) == 1 else 30)
    chart.x_labels = labels
    for name, values in series:
        chart.add(name, values)
    return chart.render()


def _line(fig: Figure) -> bytes:
    chart = pygal.Line(js=[], style=CHART_STYLE, no_data_text=_("No data"), width=640,
                       height=300, legend_at_bottom=True, x_label_rotation=30)
    rows = fig.rows[-MAX_CHART_POINTS:]
    chart.x_labels = [r["label"] for r in rows]
    for i, col in enumerate(fig.columns):
        if col["code"] in TREND_LINES:
            chart.add(col["label"], [r["cells"][i].value for r in rows])
    return chart.render()


def _indicators_chart(indicators: list[Indicator]) -> bytes:
    chart = pygal.Bar(js=[], style=CHART_STYLE, no_data_text=_("No data"), width=640,
                      height=300, range=(0, 100), legend_at_bottom=True)
    chart.x_labels = [i.title for i in indicators]
    chart.add(_("Actual (%)"), [i.share.value for i in indicators])
    chart.add(_("Target (%)"), [i.target for i in indicators])
    return chart.render()


CHARTS = {"decisions", "rejection_reasons", "age_group", "gender", "situation_type",
          "re_presented", "origin_sector", "lead_sectors", "assisting_sectors",
          "risk_categories", "top_factors", "outcomes", "conclusions", "trends", "help_source",
          "indicators"}


@bp.route("/chart/<key>.svg")
@login_required
def chart(key: str) -> ResponseReturnValue:
    if key not in CHARTS:
        abort(404)
    with reading() as (s, actor):
        access.require_permission(actor, "reports.view")
        try:
            rep = _report(s, actor, _params())
        except ValidationError:
            abort(400)
        if key == "indicators":
            svg = _indicators_chart(localised(rep.indicators))
        else:
            fig = localised(rep.figure(key))  # this figure's words only
            svg = _line(fig) if fig.chart == "line" else _bar(fig)
    response = Response(_SCRIPT.sub(b"", svg), mimetype="image/svg+xml")
    # The chart's own inline styles; an SVG shown through <img> runs no script anyway.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


# -- exports ------------------------------------------------------------------------------
def _filename(rep: Report, what: str, ext: str) -> str:
    label = re.sub(r"[^A-Za-z0-9-]+", "-", rep.scope["label"]).strip("-")
    return f"hubtable-{what}-{label}-{rep.scope['from']}-{rep.scope['to']}.{ext}"


def _attachment(body: bytes | str, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/export.<fmt>")
@login_required
def export(fmt: str) -> ResponseReturnValue:
    """The figures as CSV or JSON, or a workbook with figures and records (XLSX)."""
    if fmt not in ("csv", "json", "xlsx"):
        abort(404)
    with reading() as (s, actor):
        access.require_permission(actor, "reports.view")
        try:
            rep = _report(s, actor, _params())
        except ValidationError:
            abort(400)
        if fmt == "xlsx":
            buffer = io.BytesIO()
            with _timeout(s):
                write_xlsx(s, _scope(s, actor, _params()), rep, buffer)
            return _attachment(
                buffer.getvalue(),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                _filename(rep, "report", "xlsx"))
        text = io.StringIO()
        if fmt == "csv":
            write_aggregates_csv(rep, text)
            return _attachment(text.getvalue(), "text/csv", _filename(rep, "figures", "csv"))
        write_json(rep, text)
        return _attachment(text.getvalue(), "application/json",
                           _filename(rep, "report", "json"))


def _records_file(writer: Callable[..., None], suffix: str) -> ResponseReturnValue:
    with reading() as (s, actor):
        access.require_permission(actor, "reports.view")
        try:
            scope = _scope(s, actor, _params())
        except ValidationError:
            abort(400)
        text = io.StringIO()
        with _timeout(s):
            writer(s, scope, text)
        label = re.sub(r"[^A-Za-z0-9-]+", "-", scope.label).strip("-")
        name = f"hubtable-records-{label}-{scope.period.start}-{scope.period.end}{suffix}.csv"
        return _attachment(text.getvalue(), "text/csv", name)


@bp.route("/records.csv")
@login_required
def records_csv() -> ResponseReturnValue:
    """The de-identified per-situation records (RTD-like layout)."""
    return _records_file(write_records_csv, "")


@bp.route("/records-method.csv")
@login_required
def records_method_csv() -> ResponseReturnValue:
    """What was done to those records (k-anonymity) and what their columns mean: the XLSX
    "Method" and "Columns" sheets, for the records CSV (workflow/reports/exports.py says why
    a file of its own)."""
    return _records_file(write_records_method_csv, "-method")


def chart_url(key: str, query: dict[str, str]) -> str:
    values: dict[str, Any] = {**query, "key": key}
    return url_for("reports.chart", **values)


bp.add_app_template_global(chart_url, "report_chart_url")
