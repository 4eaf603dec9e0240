"""The coordinator's dashboard: every open situation, what needs attention, and why."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from webui.unit import reading
from webui.values import bounded_int
from workflow import access, dashboard, queries

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    stage = request.args.get("stage") or None
    table = request.args.get("table", "")
    filters = dashboard.DashboardFilter(
        stage=stage if stage in dashboard.DASHBOARD_STAGES else None,
        flagged=request.args.get("flagged") == "1",
        overdue=request.args.get("overdue") == "1",
        table_id=bounded_int(table, low=1),
    )
    with reading() as (s, actor):
        access.require_permission(actor, "table.coordinate")
        rows = dashboard.dashboard(s, actor, filters)
        tables = queries.chaired_tables(s, actor)
        return render_template("dashboard/index.html", rows=rows, filters=filters,
                               tables=tables, stages=dashboard.DASHBOARD_STAGES,
                               now=datetime.now().astimezone())


@bp.route("/situations/<int:situation_id>/rules")
@login_required
def rules(situation_id: int) -> ResponseReturnValue:
    """Why the rules did what they did: each firing with its explanation and pack version."""
    with reading() as (s, actor):
        view = queries.situation_view(s, actor, situation_id)
        access.require_chair(s, actor, view.situation.table_id)
        return render_template("dashboard/rules.html", v=view, s=view.situation)
