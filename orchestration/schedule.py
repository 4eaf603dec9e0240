"""The scheduled jobs in one place: names, schedules and what each one is for.

Read by the deployments (which hand the schedules to Prefect) and by `status` (which says
whether a job is late) without importing Prefect, so /healthz stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

DEPLOYMENT = "hubtable"


@dataclass(frozen=True)
class Job:
    flow_name: str
    description: str
    interval_seconds: int | None = None
    cron: str | None = None
    # A job is late when it has not started for this long (schedule plus slack).
    late_after_seconds: int = 0
    # At most this many runs at once; a further run is cancelled, not queued. After a
    # downtime Prefect starts every run the schedule missed at once (up to 100 per job):
    # a limit of one collapses them into a single catch-up run.
    concurrency: int | None = None

    @property
    def deployment_name(self) -> str:
        """The full name Prefect knows the deployment by: "flow/deployment"."""
        return f"{self.flow_name}/{DEPLOYMENT}"

    @property
    def every(self) -> str:
        if self.interval_seconds is not None:
            return f"every {self.interval_seconds} s"
        return f"cron {self.cron} (UTC)"


LISTENER_RUN_SECONDS = 630  # one listener run; the next one starts 30 s before it ends

JOBS: tuple[Job, ...] = (
    Job("dispatch-listener", "send the outbox within a second of each commit (long-running)",
        interval_seconds=LISTENER_RUN_SECONDS - 30, late_after_seconds=15 * 60, concurrency=2),
    Job("dispatch-notifications", "send the outbox's notifications in batches (safety net)",
        interval_seconds=60, late_after_seconds=5 * 60, concurrency=1),
    # No limit: sweeps are safe at once (tools/scaleout.py runs two); RUNS_AT_ONCE bounds a
    # catch-up of missed ones.
    Job("sweep-timers", "fire deadline, due-soon, open-meetings and re-presentation timers",
        interval_seconds=15 * 60, late_after_seconds=45 * 60),
    Job("prepare-agenda", "prepare the agenda of each table's next meeting and notify members",
        cron="5 * * * *", late_after_seconds=3 * 3600, concurrency=1),
    Job("purge-identity", "destroy identity and keys past each table's retention period",
        cron="30 2 * * *", late_after_seconds=2 * 86400, concurrency=1),
    Job("monthly-report", "store each table's de-identified outcome report for last month",
        cron="0 3 1 * *", late_after_seconds=32 * 86400, concurrency=1),
    Job("refresh-report-rollups", "rebuild the report's daily rollups for the days changed",
        interval_seconds=10 * 60, late_after_seconds=60 * 60, concurrency=1),
)

#: Flow runs one runner or pool worker starts at once unless told otherwise (`hubtable worker
#: --limit`): every job can run together (the two listeners of a hand-over and one run of each
#: other job), while a catch-up after a downtime cannot start a process per missed run (each
#: flow run is a Python process of ~140 MB); a run beyond it waits for the next poll.
RUNS_AT_ONCE = 8

BY_NAME = {job.flow_name: job for job in JOBS}
DISPATCH = BY_NAME["dispatch-notifications"]
LISTENER = BY_NAME["dispatch-listener"]
