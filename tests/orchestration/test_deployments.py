"""The deployments `up` and `worker` serve: every job, its schedule, found by module path."""

from __future__ import annotations

from orchestration.schedule import DEPLOYMENT, JOBS


def test_every_job_is_deployed_with_its_schedule():
    from orchestration.deployments import runner_deployments

    deployments = {d.flow_name: d for d in runner_deployments()}
    assert set(deployments) == {job.flow_name for job in JOBS}
    for job in JOBS:
        deployment = deployments[job.flow_name]
        assert deployment.name == DEPLOYMENT
        (schedule,) = deployment.schedules
        if job.interval_seconds is not None:
            assert schedule.schedule.interval.total_seconds() == job.interval_seconds
        else:
            assert schedule.schedule.cron == job.cron
        # Found by module path: any worker with hubtable importable can run it.
        assert deployment.entrypoint.startswith("orchestration.flows.")


def test_the_dispatch_runs_every_minute_and_the_sweep_every_quarter_hour():
    by_name = {job.flow_name: job for job in JOBS}
    assert by_name["dispatch-notifications"].interval_seconds == 60
    assert by_name["sweep-timers"].interval_seconds == 15 * 60


def test_every_flow_has_an_entrypoint_for_work_pools():
    from orchestration.flows import ALL
    from orchestration.pool import ENTRYPOINTS

    assert set(ENTRYPOINTS) == set(ALL)


def test_every_job_but_the_sweep_runs_alone_and_runners_start_a_bounded_number():
    """A downtime leaves up to 100 missed runs per job, which Prefect starts all at once when
    the runner comes back; only the sweep may overlap (tools/scaleout.py runs two)."""
    from orchestration.schedule import BY_NAME, RUNS_AT_ONCE

    for job in JOBS:
        if job.flow_name == "sweep-timers":
            assert job.concurrency is None
        elif job.flow_name == "dispatch-listener":
            assert job.concurrency == 2  # the next run starts 30 s before the last one ends
        else:
            assert job.concurrency == 1, job.flow_name
    assert sum(job.concurrency or 1 for job in BY_NAME.values()) <= RUNS_AT_ONCE


def _late_runs_started_at_once(deployment_name: str, count: int) -> list[str]:
    """What the server says to a runner that starts `count` missed runs of a deployment at
    once (each proposed Pending, as a runner does before it starts the run's process)."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    from prefect import get_client
    from prefect.states import Pending, Scheduled

    from orchestration.deployments import runner_deployments

    deployment = next(d for d in runner_deployments() if d.flow_name == deployment_name)
    deployment_id = deployment.apply()

    async def burst() -> list[str]:
        async with get_client() as client:
            missed = [await client.create_flow_run_from_deployment(
                deployment_id, state=Scheduled(
                    scheduled_time=datetime.now(UTC) - timedelta(minutes=count - n)))
                for n in range(count)]
            for run in missed:
                await client.set_flow_run_state(run.id, Pending())
            after = [await client.read_flow_run(run.id) for run in missed]
            for run in after:  # leave nothing holding the deployment's slot
                await client.set_flow_run_state(run.id, Scheduled(), force=True)
                await client.delete_flow_run(run.id)
            return [run.state.type.value for run in after]

    return asyncio.run(burst())


def test_missed_dispatch_runs_started_at_once_collapse_into_one(prefect_server):
    states = _late_runs_started_at_once("dispatch-notifications", 5)
    assert states == ["PENDING"] + ["CANCELLED"] * 4


def test_missed_sweeps_may_overlap(prefect_server):
    assert _late_runs_started_at_once("sweep-timers", 3) == ["PENDING"] * 3
