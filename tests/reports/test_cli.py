"""`hubtable report`: formats, exit codes and one-line errors."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from openpyxl import load_workbook

from reports.cli import hubtable
from workflow.reports.records import HEADER

PERIOD = ("--from", "2026-01-01", "--to", "2026-03-01")


@pytest.fixture
def run(monkeypatch, capsys, runtime, tmp_path):
    return lambda *args: hubtable(monkeypatch, capsys, runtime, tmp_path, *args)


def test_csv_figures_to_stdout(run, dataset):
    code, out, err = run("report", "--table", "PEEL", *PERIOD, "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    decided = {r["row"]: r["value"] for r in rows if r["figure"] == "decisions"}
    assert decided == {"accepted": "4", "rejected": "2", "undecided": "2", "total": "8"}
    assert any(r["section"] == "indicator" and r["value"] == "75%" for r in rows)


def test_json_is_the_whole_report(run, dataset):
    code, out, _ = run("report", "--table", "PEEL", *PERIOD, "--format", "json")
    assert code == 0
    body = json.loads(out)
    assert body["scope"]["tables"] == ["PEEL"]
    assert {f["key"] for f in body["figures"]} >= {"decisions", "trends", "conclusions"}


def test_records_csv_has_one_line_per_situation_presented(run, dataset):
    code, out, _ = run("report", "--table", "PEEL", *PERIOD, "--format", "csv", "--records")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == HEADER
    assert len(rows) == 8
    assert [r["record"] for r in rows] == [str(i) for i in range(1, 9)]


def test_records_method_describes_the_records_file_of_the_same_scope(run, dataset):
    _, records, _ = run("report", "--table", "PEEL", *PERIOD, "--format", "csv", "--records")
    code, out, err = run("report", "--table", "PEEL", *PERIOD, "--format", "csv",
                         "--records-method")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    about = {r[1]: r[2] for r in rows[1:] if r[0] == "records"}
    assert about["count"] == "8"
    assert about["sha256"] == hashlib.sha256(records.encode("utf-8")).hexdigest()
    assert any(r[0] == "method" for r in rows) and any(r[0] == "column" for r in rows)
    code, _, err = run("report", "--table", "PEEL", *PERIOD, "--format", "csv", "--records",
                       "--records-method")
    assert code != 0 and "one file at a time" in err


def test_xlsx_to_an_output_file(run, dataset, tmp_path):
    # (to stdout, a pipe or a terminal: tests/ops/test_report_xlsx_stdout.py)
    target = tmp_path / "r.xlsx"
    code, _, err = run("report", "--table", "PEEL", *PERIOD, "--format", "xlsx",
                       "--output", str(target))
    assert code == 0, err
    book = load_workbook(target, read_only=True)
    assert book.sheetnames == ["About", "Figures", "Records", "Method", "Columns"]
    assert len(list(book["Records"].iter_rows())) == 9   # header + 8 situations


@pytest.mark.parametrize("args, message", [
    (("--from", "2026-02-30"), "from date '2026-02-30' is not a date"),
    (("--to", "yesterday"), "to date 'yesterday' is not a date"),
    (("--from", "2026-03-01", "--to", "2026-01-01"), "must be before"),
    (("--table", "NOPE"), "no table 'NOPE'"),
    (("--region", "Atlantis"), "no table in region 'Atlantis'"),
    (("--table", "PEEL", "--region", "Peel"), "a table or a region, not both"),
])
def test_a_bad_argument_is_one_line_on_stderr(run, world, args, message):
    code, out, err = run("report", *args, "--format", "csv")
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_an_unknown_format_is_refused(run, world):
    code, _, err = run("report", "--format", "pdf")
    assert code == 2 and err.count("\n") == 1
