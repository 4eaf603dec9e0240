"""/healthz: is the database answering, and how are Prefect, the flows and deliveries doing.

`served_by` is the process that answered: with several web processes on one port (`hubtable
up`), it tells an operator (and the tests) which of them is up and serving, not just started.

The orchestration part comes from the app's injected `health` report (the composition root
passes hubtable.health's), so the web app imports no orchestration code.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from webui.unit import runtime

bp = Blueprint("health", __name__)


def _orchestration() -> dict[str, Any]:
    report = current_app.extensions.get("hubtable_health")
    if report is None:  # an app built without orchestration (tests): the database only
        return {}
    try:
        return dict(report(runtime()))
    except Exception as exc:  # a broken probe must not take the health page down
        return {"prefect": {"status": "error", "error": type(exc).__name__}}


@bp.route("/healthz")
def healthz() -> ResponseReturnValue:
    try:
        with runtime().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        database: str = "ok"
    except Exception as exc:
        database = f"error: {type(exc).__name__}"
    body = {"database": database, "served_by": os.getpid(), **_orchestration()}
    return jsonify(body), 200 if database == "ok" else 503
