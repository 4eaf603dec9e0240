"""What /healthz and `hubtable status` say about orchestration, from one function.

Prefect's server is found as an operator expects: PREFECT_API_URL if set, else the server of
the `hubtable up` running on the same data dir (its `up.json`). The report also carries the
deliveries that failed or died (a failing channel is never "ok") and `up`'s children.
"""

from __future__ import annotations

import os
from typing import Any

from hubtable import up_state
from hubtable.config import load_settings, redact_url
from workflow.runtime import Runtime


def prefect_api_url() -> str | None:
    """PREFECT_API_URL when set (as it is, valid or not: `prefect_health` says which), else
    the Prefect server of the `hubtable up` on this data dir, else None."""
    url = os.environ.get("PREFECT_API_URL", "").strip().rstrip("/")
    if url:
        return url
    state = up_state.read(load_settings().data_dir)
    found = (state or {}).get("prefect_api_url")
    return str(found) if found else None


def orchestration_health(runtime: Runtime) -> dict[str, Any]:
    """{"prefect": ..., "flows": ..., "deliveries": ..., "children": ...}; never raises."""
    from orchestration.status import delivery_health, flow_status, prefect_health

    prefect = prefect_health(prefect_api_url())
    for key in ("api_url", "ui_url"):  # a password in PREFECT_API_URL is never shown
        if prefect.get(key):
            prefect[key] = redact_url(str(prefect[key]))
    report: dict[str, Any] = {
        "prefect": prefect,
        "flows": flow_status(runtime),
        "deliveries": delivery_health(runtime),
    }
    try:
        state = up_state.read(load_settings().data_dir)
    except Exception as exc:  # a report, never a failure
        state = {"error": type(exc).__name__}
    if state is not None:
        report["children"] = state.get("children", {})
    return report
