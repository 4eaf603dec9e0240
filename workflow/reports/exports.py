"""Exports of a report: the aggregates (CSV, JSON) and the de-identified records (CSV) with
their method (CSV), and a workbook with all of it (XLSX). The same suppressed figures as the
page; never identity or free text.

The records CSV says what was done to it (the XLSX "Method" sheet) in a second CSV beside it,
not inside it: a commented block before the header or a section after the rows is read as data
rows by every CSV reader that is not told otherwise (Python's csv, pandas, R, a spreadsheet's
import), so the records stay one clean table a script can load, and the method is a file a
spreadsheet opens like any other. The method file carries the number of records and the
SHA-256 of the records CSV it describes, so that the two can be told to belong together (a
closure between two downloads changes both).

CSV cells that a spreadsheet would run as a formula are defused with a leading apostrophe.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from openpyxl import Workbook
from sqlalchemy.orm import Session

from workflow.reports.model import Report
from workflow.reports.records import COLUMNS, HEADER, records, records_with_method
from workflow.reports.scope import Scope

AGGREGATE_HEADER = ("section", "figure", "figure_title", "row", "row_label", "column",
                    "column_label", "value")


def _safe(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def aggregate_rows(report: Report) -> Iterator[tuple[object, ...]]:
    """The report in long form: one line per printed cell (suppressed cells as printed)."""
    for section, figures in (("figure", report.figures), ("equity", report.equity)):
        for fig in figures:
            for row in fig.rows + ([fig.total] if fig.total else []):
                for col, cell in zip(fig.columns, row["cells"], strict=True):
                    yield (section, fig.key, fig.title, row["code"], row["label"],
                           col["code"], col["label"], cell.text)
    for stat in report.statistics:
        for name, value in (("count", stat.count.text),
                            ("median", "" if stat.median is None else stat.median),
                            ("p90", "" if stat.p90 is None else stat.p90)):
            yield ("statistic", stat.key, stat.title, name, name, stat.unit, stat.unit, value)
    for ind in report.indicators:
        yield ("indicator", ind.key, ind.title, "share", "Share (%)", "actual", "Actual",
               ind.share.text)
        yield ("indicator", ind.key, ind.title, "share", "Share (%)", "target", "Target",
               "" if ind.target is None else f"{ind.target:g}%")


def _write_csv(rows: Iterable[Iterable[object]], header: Iterable[str], out: IO[str]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe(v) for v in row])


def write_aggregates_csv(report: Report, out: IO[str]) -> None:
    _write_csv(aggregate_rows(report), AGGREGATE_HEADER, out)


def write_records_csv(session: Session, scope: Scope, out: IO[str], *,
                      now: datetime | None = None) -> None:
    _write_csv(([r[name] for name in HEADER] for r in records(session, scope, now=now)),
               HEADER, out)


METHOD_HEADER = ("section", "item", "text")


def write_records_method_csv(session: Session, scope: Scope, out: IO[str], *,
                             now: datetime | None = None) -> None:
    """The Method of the records CSV, as a CSV of its own: which records it describes (their
    number and the SHA-256 of the records CSV), the k-anonymity steps taken, and what each
    column means."""
    anonymised = records_with_method(session, scope, now=now)
    text = io.StringIO()
    _write_csv(([r[name] for name in HEADER] for r in anonymised.rows), HEADER, text)
    digest = hashlib.sha256(text.getvalue().encode("utf-8")).hexdigest()
    rows: list[tuple[object, ...]] = [
        ("records", "scope", f"{scope.label}, {scope.period.start} to {scope.period.end}"),
        ("records", "count", len(anonymised.rows)),
        ("records", "sha256", digest),
    ]
    rows += [("method", number, line)
             for number, line in enumerate(anonymised.method, start=1)]
    rows += [("column", name, meaning) for name, meaning in COLUMNS]
    _write_csv(rows, METHOD_HEADER, out)


def write_json(report: Report, out: IO[str]) -> None:
    json.dump(report.as_dict(), out, ensure_ascii=False, indent=1, default=_plain)
    out.write("\n")


def _plain(value: Any) -> Any:
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def write_xlsx(session: Session, scope: Scope, report: Report, out: IO[bytes] | str, *,
               now: datetime | None = None) -> None:
    """One workbook: About, Figures (long form), Records (per situation), Method (how the
    records were made k-anonymous), Columns (layout)."""
    book = Workbook(write_only=True)
    about = book.create_sheet("About")
    about.append(["De-identified outcome report"])
    for key in ("label", "period", "from", "to", "threshold", "suppression"):
        about.append([key, str(report.scope[key])])
    about.append(["tables", ", ".join(report.scope["tables"])])
    figures = book.create_sheet("Figures")
    figures.append(list(AGGREGATE_HEADER))
    for row in aggregate_rows(report):
        figures.append([_safe(v) for v in row])
    sheet = book.create_sheet("Records")
    sheet.append(list(HEADER))
    anonymised = records_with_method(session, scope, now=now)
    for rec in anonymised.rows:
        sheet.append([_safe(rec[name]) for name in HEADER])
    method = book.create_sheet("Method")
    method.append(["What was done to the records before they left (k-anonymity)"])
    for line in anonymised.method:
        method.append([line])
    columns = book.create_sheet("Columns")
    columns.append(["column", "meaning"])
    for name, meaning in COLUMNS:
        columns.append([name, meaning])
    book.save(out)
