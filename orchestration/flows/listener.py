"""dispatch-listener: a long-running dispatch flow that sends within a second of a commit.

Starting a flow run costs ~2 s (a fresh process, the API round trips) and a runner polls for
runs every second: a run per decision could not reach an agency in under a second. So one run
stays up for RUN_SECONDS, waits on the outbox (orchestration.wakeup: a poll of the newest
event id, LISTEN on PostgreSQL) and runs a pass at once, each pass a `dispatch-outbox` task run
in Prefect's UI. Its deployment is scheduled 30 s more often than a run lasts, so the next
run is up before this one ends (at most two at once: a pass is safe beside another). The
every-minute dispatch-notifications schedule stays the safety net should the listener be down.
"""

from __future__ import annotations

import time
from typing import Any

from prefect import flow, get_run_logger

from orchestration import context
from orchestration.flows.dispatch import dispatch_outbox, judge
from orchestration.flows.recording import recorded
from orchestration.schedule import LISTENER_RUN_SECONDS
from orchestration.wakeup import Watcher

RUN_SECONDS = LISTENER_RUN_SECONDS
IDLE_CHECK_SECONDS = 5.0  # due retries and abandoned leases are looked for this often


@flow(name="dispatch-listener")
def dispatch_listener(run_seconds: float = RUN_SECONDS) -> int:
    """Passes run; the flow ends after `run_seconds` for the next scheduled run to take over."""
    from notifications.dispatch import warm_up

    log = get_run_logger()
    warm_up()
    watcher = Watcher(context.runtime())
    deadline = time.monotonic() + run_seconds
    passes = 0
    with recorded("dispatch-listener") as run:
        try:
            passes = _serve(watcher, deadline, log)
        finally:
            watcher.close()
        run.message = f"{passes} pass(es)"
    log.info("listener: %d pass(es)", passes)
    return passes


def _serve(watcher: Watcher, deadline: float, log: Any) -> int:
    """Pass at once when woken, or when the idle check finds due work; until the deadline."""
    passes = 0
    wake = True  # a first pass at once: sends what waits, and warms the imports and the SMTP path
    while True:
        if wake:
            try:
                with recorded("dispatch-notifications") as outcome:
                    judge(outcome, dispatch_outbox())
                log.info("dispatch: %s", outcome.message)
            except Exception as exc:  # recorded as failed; the listener stays up for the next
                log.warning("dispatch pass failed (%s); listening on", type(exc).__name__)
            passes += 1
        left = deadline - time.monotonic()
        if left <= 0:
            return passes
        wake = watcher.wait(min(IDLE_CHECK_SECONDS, left)) or watcher.work_waiting()
