"""Scale-out with a work pool: deployments registered in a Prefect "process" work pool, run by
`prefect worker start` processes on any machine that has hubtable installed at the same path.

`hubtable worker --pool NAME` does both: it (re)registers the deployments in the pool (created
if missing) and then runs a worker for it in the foreground. Without `--pool`, `hubtable
worker` serves the same deployments itself (orchestration.runner); both are safe to run many
times at once: Prefect hands each flow run to one runner or worker, and the flows are
idempotent besides.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration.schedule import DEPLOYMENT, JOBS, RUNS_AT_ONCE


def _limit(concurrency: int | None):  # type: ignore[no-untyped-def]
    from orchestration.deployments import _limit as limit

    return limit(concurrency)

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINTS = {
    "dispatch-listener": "orchestration/flows/listener.py:dispatch_listener",
    "dispatch-notifications": "orchestration/flows/dispatch.py:dispatch_notifications",
    "sweep-timers": "orchestration/flows/sweep.py:sweep_timers",
    "prepare-agenda": "orchestration/flows/agenda.py:prepare_agenda",
    "purge-identity": "orchestration/flows/purge.py:purge_identity",
    "monthly-report": "orchestration/flows/report.py:monthly_report",
    "refresh-report-rollups": "orchestration/flows/rollups.py:refresh_report_rollups",
}


def ensure_pool(pool: str) -> None:
    """Create the process work pool if it does not exist (an existing one is left as is)."""
    prefect = str(Path(sys.executable).parent / "prefect")
    found = subprocess.run([prefect, "work-pool", "inspect", pool], capture_output=True,
                           text=True, check=False)
    if found.returncode != 0:
        created = subprocess.run([prefect, "work-pool", "create", pool, "--type", "process"],
                                 capture_output=True, text=True, check=False)
        again = subprocess.run([prefect, "work-pool", "inspect", pool], capture_output=True,
                               text=True, check=False)
        if created.returncode != 0 and again.returncode != 0:  # not just a worker beside us
            raise RuntimeError(f"could not create the work pool {pool!r}: "
                               f"{(created.stderr or created.stdout).strip()[-300:]}")


def deploy_to_pool(pool: str) -> list[str]:
    """Register every job's deployment in the pool; returns their full names."""
    from prefect import flow as prefect_flow

    ensure_pool(pool)
    names = []
    for job in JOBS:
        source = prefect_flow.from_source(source=str(ROOT), entrypoint=ENTRYPOINTS[job.flow_name])
        source.deploy(name=DEPLOYMENT, work_pool_name=pool, interval=job.interval_seconds,
                      cron=job.cron, description=job.description, tags=["hubtable"],
                      concurrency_limit=_limit(job.concurrency),
                      build=False, push=False, print_next_steps=False)
        names.append(job.deployment_name)
    return names


def run_worker(pool: str, limit: int | None) -> int:
    """`prefect worker start` for the pool, in the foreground, with hubtable importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    argv = [str(Path(sys.executable).parent / "prefect"), "worker", "start", "--pool", pool,
            "--type", "process"]
    argv += ["--limit", str(limit or RUNS_AT_ONCE)]
    return subprocess.call(argv, env=env, cwd=str(ROOT))
