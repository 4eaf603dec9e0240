"""monthly-report: on the 1st, store each table's de-identified report for the month before."""

from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from orchestration import context
from orchestration.flows.agenda import table_ids
from orchestration.flows.recording import recorded
from orchestration.flows.retry import transient
from workflow.models import utcnow


def previous_month(today: date) -> str:
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


@task(name="store-monthly-report", cache_policy=NONE, retries=2, retry_delay_seconds=[5, 30],
      retry_condition_fn=transient)
def store_report(table_id: int, period: str) -> None:
    from workflow import reports

    with context.runtime().command() as session:
        reports.store_monthly(session, table_id, period)


@flow(name="monthly-report")
def monthly_report(period: str | None = None) -> str:
    """`period` is "YYYY-MM"; by default the month before today (UTC)."""
    period = period or previous_month(utcnow().date())
    with recorded("monthly-report") as outcome:
        tables = table_ids()
        failed: list[int] = []
        for table_id in tables:  # each table on its own: one bad table stops no other
            try:
                store_report(table_id, period)
            except Exception as exc:  # noqa: BLE001 (logged by class, raised after the loop)
                get_run_logger().error("report: table %s failed (%s)", table_id,
                                       type(exc).__name__)
                failed.append(table_id)
        outcome.message = f"stored {period} for {len(tables) - len(failed)} table(s)"
        if failed:
            raise RuntimeError(f"report failed for table(s) {failed}; the others were stored")
    get_run_logger().info("report: %s", outcome.message)
    return period
