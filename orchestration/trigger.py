"""Start the dispatch flow right after a command wrote events, without making anyone wait.

`request_dispatch()` returns at once. A background thread asks the Prefect server (through its
REST API, so the web process never imports Prefect) for a run of the dispatch deployment; the
runner picks it up within its poll interval (1 s embedded). Requests that arrive while one is
being sent collapse into one run: a dispatch pass sends everything waiting anyway.

Without PREFECT_API_URL it does nothing (and never starts Prefect's in-process server): the
minute schedule, or `hubtable notifications dispatch`, sends the outbox instead.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request

from orchestration.schedule import DEPLOYMENT, DISPATCH

log = logging.getLogger("hubtable.trigger")
TIMEOUT_SECONDS = 5.0

_wake = threading.Event()
_start_lock = threading.Lock()
_worker: threading.Thread | None = None
_deployment_ids: dict[str, str] = {}


def api_url() -> str | None:
    """The Prefect API address, or None when unset (or not an http(s) address)."""
    url = os.environ.get("PREFECT_API_URL", "").strip().rstrip("/")
    return url if url.startswith(("http://", "https://")) else None


def request_dispatch() -> bool:
    """Ask for a dispatch run soon; True if a request was queued, False if Prefect is not used."""
    if api_url() is None:
        return False
    _ensure_worker()
    _wake.set()
    return True


def _ensure_worker() -> None:
    global _worker
    with _start_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_loop, name="hubtable-dispatch-trigger",
                                       daemon=True)
            _worker.start()


def _loop() -> None:
    while True:
        _wake.wait()
        _wake.clear()
        url = api_url()
        if url is None:
            continue
        try:
            create_dispatch_run(url)
        except (OSError, ValueError, KeyError) as exc:
            # The schedule catches up within a minute; say so without any payload.
            log.warning("could not start a dispatch run now (%s); the schedule will",
                        type(exc).__name__)


def _call(method: str, url: str, body: dict[str, object] | None = None) -> dict[str, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,  # noqa: S310 (http only)
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        return json.loads(response.read() or b"{}")


def create_dispatch_run(url: str, *, attempts: int = 4) -> str:
    """Create one run of the dispatch deployment now; returns the flow run id.

    A Prefect server on SQLite answers 503 while its database is busy: retried with backoff
    (0.25, 0.5, 1 s), as Prefect's own client does.
    """
    for attempt in range(1, attempts + 1):
        try:
            return _create_dispatch_run(url)
        except urllib.error.HTTPError as exc:
            if exc.code not in (429, 502, 503, 504) or attempt == attempts:
                raise
        except urllib.error.URLError:
            if attempt == attempts:
                raise
        time.sleep(0.25 * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def _create_dispatch_run(url: str) -> str:
    key = url
    if key not in _deployment_ids:
        found = _call("GET", f"{url}/deployments/name/{DISPATCH.flow_name}/{DEPLOYMENT}")
        _deployment_ids[key] = str(found["id"])
    try:
        run = _call("POST", f"{url}/deployments/{_deployment_ids[key]}/create_flow_run",
                    {"tags": ["triggered"]})
    except urllib.error.HTTPError as exc:
        if exc.code == 404:  # the deployment was re-created with a new id
            _deployment_ids.pop(key, None)
        raise
    return str(run["id"])
