"""dispatch-notifications: every minute, and at once after a command that wrote events.

The outbox is the queue: the dispatcher (notifications.dispatch) claims a batch, sends it and
marks it sent, so two dispatchers at once, or a rerun after a crash, send each message once.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from orchestration import context
from orchestration.flows.recording import Outcome, recorded
from orchestration.flows.retry import transient


def _summary(result: Any) -> str:
    """Counts only: whatever the dispatcher returns, never a message's content."""
    if isinstance(result, dict):
        return ", ".join(f"{k} {v}" for k, v in result.items() if isinstance(v, int | float))
    if hasattr(result, "as_dict"):
        return _summary(result.as_dict())
    if isinstance(result, int):
        return f"sent {result}"
    return ""


@task(name="dispatch-outbox", cache_policy=NONE, retries=3, retry_delay_seconds=[2, 10, 30],
      retry_condition_fn=transient)
def dispatch_outbox() -> dict[str, Any]:
    """One pass over the outbox; it touches the network (SMTP, webhooks), hence the retries.

    Returns the counts and the class of the last failed send (plain data for Prefect).
    """
    from notifications.dispatch import dispatch_once

    rt, settings = context.current()
    result = dispatch_once(rt, settings)
    return {**result.as_dict(), "error_class": result.error_class}


def judge(outcome: Outcome, counts: dict[str, Any]) -> None:
    """A pass that failed or gave up on a delivery is not ok, and says which error class."""
    outcome.message = _summary(counts)
    if counts.get("failed") or counts.get("dead"):
        outcome.ok = False
        outcome.error = str(counts.get("error_class") or "DeliveryFailed")


@flow(name="dispatch-notifications")
def dispatch_notifications() -> str:
    with recorded("dispatch-notifications") as outcome:
        judge(outcome, dispatch_outbox())
    get_run_logger().info("dispatch: %s", outcome.message or "nothing to send")
    return outcome.message
