"""De-identified outcome reports for managers: SQL aggregates, small-cell suppression,
plan indicators, the equity lens and exports. Never a person, never free text."""

from workflow.reports.model import Cell, Figure, Indicator, Report, Statistic
from workflow.reports.monthly import store_monthly
from workflow.reports.report import build_report
from workflow.reports.rollups import Refreshed, refresh_rollups
from workflow.reports.scope import Period, Scope, month_period, parse_period, resolve_scope

__all__ = [
    "Cell",
    "Figure",
    "Indicator",
    "Period",
    "Refreshed",
    "Report",
    "Scope",
    "Statistic",
    "build_report",
    "month_period",
    "parse_period",
    "refresh_rollups",
    "resolve_scope",
    "store_monthly",
]
