"""The calling agency's open tasks, soonest due first, with whether each is overdue."""

from __future__ import annotations

from flask import Response, jsonify

from webui.api.auth import as_agency
from webui.api.blueprint import bp
from webui.api.present import task_item
from workflow.agency_queries import open_tasks_of_agency
from workflow.models import utcnow


@bp.get("/tasks")
def list_tasks() -> Response:
    now = utcnow()
    with as_agency() as (session, actor):
        found = open_tasks_of_agency(session, actor.agency_id or 0)
        answer = [task_item(t, now=now) for t in found]
    return jsonify(tasks=answer, count=len(answer))
