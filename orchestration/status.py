"""When each job last ran and whether it worked, and whether Prefect answers: for /healthz.

Neither function imports Prefect or raises: a health page must answer even when the database
or the orchestrator is down, and say which.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.parse
import urllib.request
from datetime import datetime

from orchestration.schedule import JOBS
from workflow.models import utcnow


def flow_status(runtime=None, *, now: datetime | None = None) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """{"ok": bool, "flows": {name: {last_started_at, last_finished_at, last_ok, ..., late}}}.

    `ok` is False when a job's last run failed or a job is late by its schedule (never having
    run is not a failure: a fresh installation has run nothing yet).
    """
    from workflow import flow_runs

    now = now or utcnow()
    try:
        if runtime is None:
            from orchestration import context

            runtime = context.runtime()
        with runtime.read() as session:
            records = {s.flow_name: s for s in flow_runs.statuses(session)}
    except Exception as exc:  # the health page reports the cause instead of failing
        return {"ok": False, "error": f"database unavailable ({type(exc).__name__})",
                "flows": {}}
    flows: dict[str, object] = {}
    ok = True
    for job in JOBS:
        record = records.get(job.flow_name)
        entry: dict[str, object] = {"schedule": job.every, "description": job.description}
        if record is None:
            entry.update(last_started_at=None, last_finished_at=None, last_ok=None,
                         last_message="", runs=0, running=False, late=False,
                         last_error=None, last_failed_at=None)
        else:
            late = (record.last_started_at is not None
                    and (now - record.last_started_at).total_seconds() > job.late_after_seconds)
            entry.update(record.as_dict(), late=late)
            ok = ok and record.last_ok is not False and not late
        flows[job.flow_name] = entry
    return {"ok": ok, "flows": flows}


def delivery_health(runtime) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Deliveries per status; not ok while any failed (retrying) or died (given up)."""
    from workflow import deliveries

    try:
        with runtime.read() as session:
            counts = deliveries.delivery_counts(session)
    except Exception as exc:  # reported, never raised
        return {"ok": False, "error": f"database unavailable ({type(exc).__name__})"}
    failed, dead = counts.get("failed", 0), counts.get("dead", 0)
    return {"ok": not failed and not dead, "failed": failed, "dead": dead,
            "queued": counts.get("queued", 0), "sending": counts.get("sending", 0),
            "sent": counts.get("sent", 0)}


def _valid_http_url(url: str) -> bool:
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _redacted(url: str) -> str:
    """The URL as a report may show it: a password in it as ***."""
    return re.sub(r"(://[^:/@]*:).*@", r"\1***@", url)


def prefect_health(api_url: str | None = None, *, timeout: float = 2.0) -> dict[str, object]:
    """{"configured": bool, "ok": bool | None, "api_url": ..., "ui_url": ..., "latency_ms"}.

    A URL that is not http(s)://HOST... is configured but not ok: it is said to be invalid,
    never taken for "not set"."""
    if api_url is None:
        api_url = os.environ.get("PREFECT_API_URL", "").strip().rstrip("/") or None
    if not api_url:
        return {"configured": False, "ok": None, "api_url": None, "ui_url": None,
                "detail": "PREFECT_API_URL is not set: no scheduled flows in this process"}
    if not _valid_http_url(api_url):
        return {"configured": True, "ok": False, "api_url": _redacted(api_url), "ui_url": None,
                "detail": "PREFECT_API_URL is not a valid URL (expected "
                          "http://HOST:PORT/api)"}
    base = api_url.rstrip("/")
    ui = base[: -len("/api")] if base.endswith("/api") else base
    started = time.monotonic()
    try:
        with urllib.request.urlopen(f"{base}/health", timeout=timeout) as response:  # noqa: S310
            healthy = response.status == 200 and json.loads(response.read() or b"false") is True
        detail = "ok" if healthy else "unexpected answer"
    except (OSError, ValueError) as exc:
        healthy, detail = False, f"unreachable ({type(exc).__name__})"
    return {"configured": True, "ok": healthy, "api_url": base, "ui_url": ui,
            "latency_ms": round((time.monotonic() - started) * 1000, 1), "detail": detail}
