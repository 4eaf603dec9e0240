"""sweep-timers: every 15 minutes, fire the timer rules of whatever became due."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from orchestration import context
from orchestration.flows.dispatch import dispatch_outbox
from orchestration.flows.recording import recorded
from orchestration.flows.retry import transient
from workflow import sweep


@task(name="sweep", cache_policy=NONE, retries=2, retry_delay_seconds=[5, 30],
      retry_condition_fn=transient)
def run_sweep() -> dict[str, int]:
    """One pass; replays safely after a retry (each timer fires once per occurrence)."""
    return sweep.sweep(context.runtime()).as_dict()


@flow(name="sweep-timers")
def sweep_timers() -> dict[str, int]:
    with recorded("sweep-timers") as outcome:
        counts = run_sweep()
        outcome.message = ", ".join(f"{k} {v}" for k, v in counts.items())
    get_run_logger().info("sweep: %s", outcome.message)
    if counts["fired"] or counts["overdue"]:
        dispatch_outbox()  # tell people now rather than at the next minute
    return counts
