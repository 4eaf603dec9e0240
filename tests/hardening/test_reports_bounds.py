"""Reports cannot exhaust the server: a bounded period, capped charts, a statement timeout."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from tests.hardening.conftest import signed_in
from workflow.db import QueryTimeout, statement_timeout
from workflow.errors import ValidationError
from workflow.reports import parse_period
from workflow.reports.scope import MAX_PERIOD_DAYS


@pytest.mark.parametrize("start, end", [
    ("0001-01-01", "9999-12-31"), ("2000-01-01", "2010-01-01"), ("1999-12-31", "2000-06-01"),
    ("2026-03-01", "2026-01-01"),
])
def test_a_period_out_of_bounds_is_refused(start, end):
    with pytest.raises(ValidationError):
        parse_period(start, end)


def test_the_longest_period_is_accepted():
    period = parse_period("2020-01-01", "2025-01-01")
    assert (period.end - period.start).days <= MAX_PERIOD_DAYS


@pytest.mark.parametrize("path", ["/reports/", "/reports/export.json", "/reports/export.csv",
                                  "/reports/chart/trends.svg", "/reports/records.csv"])
def test_the_whole_calendar_is_refused_at_once_by_every_report_route(app, path):
    web = signed_in(app, "manager")
    started = time.monotonic()
    response = web.get(f"{path}?from=0001-01-01&to=9999-12-31")
    assert response.status_code in (400, 404), response.status_code
    assert time.monotonic() - started < 5


def _slow_sql(session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_sleep(5)"))
    else:
        session.execute(text(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000)"
            " SELECT count(*) FROM n"))


def test_a_slow_report_query_is_cancelled_on_either_database(runtime):
    started = time.monotonic()
    with pytest.raises(QueryTimeout), runtime.read() as s, statement_timeout(s, 0.3):
        _slow_sql(s)
    assert time.monotonic() - started < 3
    with runtime.read() as s:  # the connection is usable again, with no timeout left over
        assert s.execute(text("SELECT 1")).scalar() == 1


def test_a_report_past_its_timeout_is_a_clear_503(app, monkeypatch):
    import webui.reports_views as views

    def slow_report(session, scope, *, lang="en"):
        _slow_sql(session)

    monkeypatch.setattr(views, "build_report", slow_report)
    app.config["REPORT_TIMEOUT_SECONDS"] = 0.3
    response = signed_in(app, "manager").get("/reports/export.json?table=PEEL")
    assert response.status_code == 503
    assert "took too long" in response.get_data(as_text=True)
