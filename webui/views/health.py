"""/healthz: is the database answering, and how are Prefect and the scheduled flows doing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text

from webui.unit import runtime

bp = Blueprint("health", __name__)


def _orchestration(name: str, default: Any, *args: Any) -> Any:
    """Ask orchestration.status if it is installed; its failure is reported, never raised."""
    try:
        from orchestration import status
    except ImportError:
        return default
    probe = getattr(status, name, None)
    if probe is None:
        return default
    try:
        return probe(*args)
    except Exception as exc:  # a broken probe must not take the health page down
        return {"status": "error", "error": type(exc).__name__}


@bp.route("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    try:
        with runtime().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        database: str = "ok"
    except Exception as exc:
        database = f"error: {type(exc).__name__}"
    body = {
        "database": database,
        "prefect": _orchestration("prefect_health", {"status": "unknown"}),
        "flows": _orchestration("flow_status", None, runtime()),
    }
    return jsonify(body), 200 if database == "ok" else 503
