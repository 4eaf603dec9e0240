"""The records CSV's Method (issue 19: "say in a 'Method' sheet what was done"), both databases:
a CSV of its own beside the records, which stay one clean table; the method names the records
it describes (count and SHA-256), the k-anonymity steps, and every column."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, datetime

from support.factories import in_intervention, submitted
from web.conftest import app, signed_in  # noqa: F401 - the app fixture

from workflow import demo
from workflow.reports.exports import write_records_csv, write_records_method_csv
from workflow.reports.records import HEADER
from workflow.reports.scope import parse_period, resolve_scope


def _scope(s):
    year = datetime.now(UTC).year
    return resolve_scope(s, parse_period(f"{year - 3}-01-01", f"{year + 1}-01-01"),
                         table="PEEL")


def _method(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_method_csv_describes_the_records_csv_of_the_demo(runtime):
    demo.build_demo(runtime, password="demo-password-1")
    with runtime.read() as s:
        records, method = io.StringIO(), io.StringIO()
        write_records_csv(s, _scope(s), records)
        write_records_method_csv(s, _scope(s), method)
    lines = records.getvalue().splitlines()
    assert lines[0] == ",".join(HEADER), "the records CSV starts with its header, no preamble"
    rows = _method(method.getvalue())
    about = {r["item"]: r["text"] for r in rows if r["section"] == "records"}
    assert int(about["count"]) == len(lines) - 1 > 0
    assert about["sha256"] == hashlib.sha256(records.getvalue().encode()).hexdigest()
    steps = [r["text"] for r in rows if r["section"] == "method"]
    assert any("k-anonymity with k = 5" in step for step in steps), steps
    assert any("checked: for every count the report suppresses" in step for step in steps)
    assert [r["item"] for r in rows if r["section"] == "column"] == list(HEADER)


def test_a_manager_downloads_the_method_beside_the_records(app, runtime, world):  # noqa: F811
    in_intervention(world)
    submitted(world)
    year = datetime.now(UTC).year
    query = f"table=PEEL&from={year - 1}-01-01&to={year + 1}-01-01"
    web = signed_in(app, "manager")
    page = web.get(f"/reports/?{query}").get_data(as_text=True)
    assert "/reports/records-method.csv?" in page
    records = web.get(f"/reports/records.csv?{query}")
    method = web.get(f"/reports/records-method.csv?{query}")
    assert method.status_code == 200 and method.mimetype == "text/csv"
    assert method.headers["Content-Disposition"].endswith('-method.csv"')
    about = {r["item"]: r["text"] for r in _method(method.get_data(as_text=True))
             if r["section"] == "records"}
    assert about["sha256"] == hashlib.sha256(records.get_data()).hexdigest()
    assert int(about["count"]) == len(records.get_data(as_text=True).splitlines()) - 1
    for who in ("school", "admin"):
        refused = signed_in(app, who).get(f"/reports/records-method.csv?{query}")
        assert refused.status_code == 403, who
