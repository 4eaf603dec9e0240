"""The process that serves the deployments: polls the Prefect server and runs due flow runs.

`python -m orchestration.runner` is what `hubtable up` starts as a child and what `hubtable
worker` runs in the foreground; it needs PREFECT_API_URL (a real server: Prefect's in-process
ephemeral mode has no scheduler, so schedules would never fire).
"""

from __future__ import annotations

import os
import sys

# Poll for scheduled and triggered runs every second instead of every 10: a decision's email
# then leaves within seconds. A poll is one small API call.
os.environ.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def serve_forever(limit: int | None = None) -> None:
    if not os.environ.get("PREFECT_API_URL"):
        raise SystemExit(
            "error: PREFECT_API_URL is not set: point it at a Prefect server "
            "(for example http://prefect.internal:4200/api)")
    from prefect import serve

    from orchestration.deployments import runner_deployments
    from orchestration.schedule import RUNS_AT_ONCE

    serve(*runner_deployments(), limit=limit or RUNS_AT_ONCE, print_starting_message=False,
          pause_on_shutdown=False)


if __name__ == "__main__":
    serve_forever(int(sys.argv[1]) if len(sys.argv) > 1 else None)
