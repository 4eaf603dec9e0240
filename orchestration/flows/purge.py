"""purge-identity: daily, destroy identities (key first) past each table's retention."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from orchestration import context
from orchestration.flows.recording import recorded
from orchestration.flows.retry import transient
from workflow import purge


@task(name="purge", cache_policy=NONE, retries=2, retry_delay_seconds=[5, 30],
      retry_condition_fn=transient)
def run_purge() -> list[int]:
    """Purge and return the situation ids purged (ids only: no identity leaves the vault)."""
    report = purge.purge(context.runtime())
    return [c.situation_id for c in report.purged]


@flow(name="purge-identity")
def purge_identity() -> list[int]:
    with recorded("purge-identity") as outcome:
        purged = run_purge()
        outcome.message = f"purged {len(purged)}"
    get_run_logger().info("purge: %s situation(s)", len(purged))
    return purged
