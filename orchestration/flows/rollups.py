"""refresh-report-rollups: every few minutes, rebuild the report's daily rollups for the days
changed since the last run (the whole set the first time), so reports read few rows."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from orchestration import context
from orchestration.flows.recording import recorded
from orchestration.flows.retry import transient
from workflow.reports import refresh_rollups


@task(name="refresh-rollups", cache_policy=NONE, retries=2, retry_delay_seconds=[5, 30],
      retry_condition_fn=transient)
def run_refresh() -> tuple[bool, int]:
    with context.runtime().command() as session:
        refreshed = refresh_rollups(session)
    return refreshed.full, refreshed.days


@flow(name="refresh-report-rollups")
def refresh_report_rollups() -> int:
    """Returns how many (table, day) pairs were rebuilt."""
    with recorded("refresh-report-rollups") as outcome:
        full, days = run_refresh()
        outcome.message = f"{'rebuilt' if full else 'refreshed'} {days} day(s)"
    get_run_logger().info("rollups: %s", outcome.message)
    return days
