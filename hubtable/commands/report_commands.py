"""`hubtable report`: the de-identified outcome report from the command line.

Every format goes to stdout unless --output is given (`-o -` is stdout too); XLSX is a binary
workbook, so it goes to stdout only when that is a file or a pipe (`> report.xlsx`), never to a
terminal. A bad date, an unknown table or region, an --output that cannot be written ends as
one line on stderr, before any work.
"""

from __future__ import annotations

import io
import os
import re
import sys
from pathlib import Path
from typing import TextIO

import click
from sqlalchemy.exc import DBAPIError

from hubtable.wiring import compose
from workflow.reports import build_report, parse_period, refresh_rollups, resolve_scope
from workflow.reports.exports import (
    write_aggregates_csv,
    write_json,
    write_records_csv,
    write_records_method_csv,
    write_xlsx,
)
from workflow.runtime import Runtime


@click.command("report")
@click.option("--table", "table", default=None, metavar="T",
              help="Table code (default: every table).")
@click.option("--region", default=None, metavar="R", help="Every table of this region.")
@click.option("--from", "start", default=None, metavar="D",
              help="First day, YYYY-MM-DD (default: eleven months before --to's month).")
@click.option("--to", "end", default=None, metavar="D",
              help="Day after the last, YYYY-MM-DD, excluded (default: next month's first).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "xlsx"]), required=True)
@click.option("--records", is_flag=True,
              help="CSV only: the de-identified per-situation records instead of the figures.")
@click.option("--records-method", "records_method", is_flag=True,
              help="CSV only: the records' Method (k-anonymity steps, their count and SHA-256, "
                   "what each column means).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="Write to this file, - for stdout (the default; xlsx only to a file or a "
                   "pipe).")
def report(table: str | None, region: str | None, start: str | None, end: str | None,
           fmt: str, records: bool, records_method: bool, output: str | None) -> None:
    """De-identified outcome report: suppressed figures, indicators, records."""
    if output == "-":
        output = None
    if output is not None:
        _check_output(Path(output))
    if fmt == "xlsx" and not output and sys.stdout.isatty():
        raise click.UsageError("--format xlsx writes a binary workbook, not for a terminal: "
                               "redirect it (> report.xlsx) or give --output FILE")
    if (records or records_method) and fmt != "csv":
        raise click.UsageError("--records and --records-method go with --format csv "
                               "(xlsx always has them)")
    if records and records_method:
        raise click.UsageError("--records or --records-method: one file at a time")
    period = parse_period(start, end)
    runtime = compose().ready_runtime()
    try:
        if not (records or records_method):
            _refresh_rollups(runtime)
        with runtime.read() as session:
            scope = resolve_scope(session, period, table=table, region=region)
            if fmt == "xlsx":
                # built in memory, then written: a failing write leaves openpyxl nothing open
                book = io.BytesIO()
                write_xlsx(session, scope, build_report(session, scope), book)
                if output is None:
                    sys.stdout.buffer.write(book.getvalue())
                    sys.stdout.buffer.flush()
                else:
                    Path(output).write_bytes(book.getvalue())
                return

            def write(out: TextIO) -> None:
                if records:
                    write_records_csv(session, scope, out)
                elif records_method:
                    write_records_method_csv(session, scope, out)
                elif fmt == "csv":
                    write_aggregates_csv(build_report(session, scope), out)
                else:
                    write_json(build_report(session, scope), out)

            if output:
                with open(output, "w", encoding="utf-8", newline="") as out:
                    write(out)
            else:
                write(sys.stdout)
    finally:
        runtime.dispose()


def _refresh_rollups(runtime: Runtime) -> None:
    """Fewer days left to group live; skipped on a database that is read-only (a read-only
    mount, a standby), where the report groups them all live, with the same figures."""
    try:
        with runtime.command() as session:
            refresh_rollups(session)
    except DBAPIError as exc:
        if not re.search(r"read-?only", str(exc.orig), re.IGNORECASE):
            raise


def _check_output(path: Path) -> None:
    """Refuse, before any work, an --output that cannot be written (one line)."""
    folder = path.parent
    if path.is_dir():
        problem = "it is a directory"
    elif not folder.is_dir():
        problem = f"no such directory {folder}"
    elif not os.access(path if path.exists() else folder, os.W_OK):
        problem = "permission denied"
    else:
        return
    raise click.BadParameter(f"cannot write {path}: {problem}", param_hint="--output")


def register(cli: click.Group) -> None:
    """Add this area's commands to the `hubtable` group."""
    cli.add_command(report)
