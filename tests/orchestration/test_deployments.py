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
