"""One module per flow; `ALL` maps each scheduled job's name to its flow."""

from __future__ import annotations

from orchestration.flows.agenda import prepare_agenda
from orchestration.flows.dispatch import dispatch_notifications
from orchestration.flows.listener import dispatch_listener
from orchestration.flows.purge import purge_identity
from orchestration.flows.report import monthly_report
from orchestration.flows.rollups import refresh_report_rollups
from orchestration.flows.sweep import sweep_timers

ALL = {
    "dispatch-listener": dispatch_listener,
    "dispatch-notifications": dispatch_notifications,
    "sweep-timers": sweep_timers,
    "prepare-agenda": prepare_agenda,
    "purge-identity": purge_identity,
    "monthly-report": monthly_report,
    "refresh-report-rollups": refresh_report_rollups,
}

__all__ = ["ALL", "dispatch_listener", "dispatch_notifications", "monthly_report", "prepare_agenda",
           "purge_identity", "refresh_report_rollups", "sweep_timers"]
