"""monthly-report through Prefect, and what /healthz and `hubtable status` say about runs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from orchestration.status import flow_status, prefect_health
from workflow.errors import DomainError
from workflow.models import StoredReport, Table, utcnow


def test_monthly_report_is_stored_once_per_table_and_period(world, flows):
    from orchestration.flows import monthly_report

    assert monthly_report(period="2026-10") == "2026-10"
    monthly_report(period="2026-10")  # rerun: rebuilt in place, not duplicated
    with world.runtime.read() as s:
        tables = set(s.scalars(select(Table.id)))
        stored = s.execute(select(StoredReport.table_id, StoredReport.period)).all()
    assert sorted(stored) == sorted((t, "2026-10") for t in tables)


def test_previous_month_wraps_the_year():
    from orchestration.flows.report import previous_month

    assert previous_month(date(2027, 1, 15)) == "2026-12"
    assert previous_month(date(2026, 11, 1)) == "2026-10"


def test_status_says_when_each_flow_ran_and_whether_it_worked(world, flows):
    from orchestration.flows import monthly_report, sweep_timers

    fresh = flow_status(world.runtime)
    assert fresh["ok"] is True
    assert fresh["flows"]["sweep-timers"]["runs"] == 0

    sweep_timers()
    with pytest.raises(DomainError):
        monthly_report(period="2026-13")
    status = flow_status(world.runtime)
    sweep = status["flows"]["sweep-timers"]
    assert sweep["last_ok"] is True and sweep["runs"] == 1 and not sweep["running"]
    assert sweep["last_message"].startswith("overdue 0")
    report = status["flows"]["monthly-report"]
    assert report["last_ok"] is False
    assert report["last_message"].startswith("failed: ")
    assert status["ok"] is False

    late = flow_status(world.runtime, now=utcnow() + timedelta(hours=2))
    assert late["flows"]["sweep-timers"]["late"] is True  # every 15 min: 2 h is late


def test_status_reports_a_database_that_is_down(tmp_path):
    from workflow.runtime import Runtime

    broken = Runtime(database_url="postgresql://nobody@127.0.0.1:1/none",
                     keystore_url=f"sqlite:///{tmp_path / 'k.db'}", identity_key="k")
    status = flow_status(broken)
    assert status["ok"] is False and "database unavailable" in status["error"]


def test_prefect_health_when_not_configured_and_when_down(monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert prefect_health() == {
        "configured": False, "ok": None, "api_url": None, "ui_url": None,
        "detail": "PREFECT_API_URL is not set: no scheduled flows in this process"}
    down = prefect_health("http://127.0.0.1:9/api", timeout=0.5)
    assert down["configured"] is True and down["ok"] is False
    assert down["ui_url"] == "http://127.0.0.1:9"
