"""refresh-report-rollups through Prefect: the first run builds, later runs rebuild the days
changed since, and the run is recorded for /healthz."""

from __future__ import annotations

from sqlalchemy import func, select
from support.factories import in_intervention

from orchestration.status import flow_status
from workflow.models import ReportRollup, ReportRollupState


def test_refresh_flow_builds_then_rebuilds_changed_days(world, flows):
    from orchestration.flows import refresh_report_rollups

    assert refresh_report_rollups() == 0           # nothing presented yet
    in_intervention(world)
    assert refresh_report_rollups() == 1           # today, at PEEL
    with world.runtime.read() as s:
        assert s.scalar(select(func.count()).select_from(ReportRollup)) > 0
        assert s.get(ReportRollupState, 1) is not None
    status = flow_status(world.runtime)["flows"]["refresh-report-rollups"]
    assert status["last_ok"] is True and status["runs"] == 2
    assert status["last_message"] == "refreshed 1 day(s)"
