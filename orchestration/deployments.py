"""The deployments: each flow with its schedule, as Prefect runner deployments.

Served by `hubtable up` (embedded) and by `hubtable worker` (scale-out) alike, so both run the
same flows on the same schedules. A second server or worker re-registering them is harmless:
Prefect updates a deployment of the same name in place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.types.entrypoint import EntrypointType

from orchestration.flows import ALL
from orchestration.schedule import DEPLOYMENT, JOBS

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment


def _limit(concurrency: int | None) -> ConcurrencyLimitConfig | None:
    if concurrency is None:
        return None
    return ConcurrencyLimitConfig(limit=concurrency,
                                  collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)


def runner_deployments() -> list[RunnerDeployment]:
    deployments = []
    for job in JOBS:
        flow = ALL[job.flow_name]
        deployments.append(flow.to_deployment(
            name=DEPLOYMENT,
            # Found by module (not by file path): works from any directory and on any worker
            # that can import hubtable.
            entrypoint_type=EntrypointType.MODULE_PATH,
            interval=job.interval_seconds,
            cron=job.cron,
            description=job.description,
            tags=["hubtable"],
            concurrency_limit=_limit(job.concurrency),
        ))
    return deployments
