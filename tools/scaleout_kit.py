"""The scale-out script's kit: its children, the Prefect REST calls, a signed-in browser, an
SMTP receiver. What the script does with them, step by step, is in tools/scaleout.py.
"""

from __future__ import annotations

import email
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from hubtable.processes import processes_with_environment

ROOT = Path(__file__).resolve().parent.parent
#: Set in each child's environment to its name: every process it starts carries it too.
CHILD_MARK = "HUBTABLE_SCALEOUT_CHILD"
POOL = "scaleout"
started = time.monotonic()


def say(line: str) -> None:
    print(f"[{time.monotonic() - started:6.1f} s] {line}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(what: str, predicate: Callable[[], object], timeout: float) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"FAILED: {what} within {timeout:.0f} s")
        time.sleep(0.5)


class Box:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.arrived: list[float] = []  # time.monotonic() of each message, in step with messages
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        with self.lock:
            self.messages.append(envelope.original_content or envelope.content)
            self.arrived.append(time.monotonic())
        return "250 OK"

    def message_ids(self) -> Counter[str]:
        with self.lock:
            return Counter(str(email.message_from_bytes(raw)["Message-ID"])
                           for raw in self.messages)

    def first_arrivals(self) -> dict[str, float]:
        """When each Message-ID first arrived: a copy sent twice was first sent by the dead."""
        first: dict[str, float] = {}
        with self.lock:
            for raw, at in zip(self.messages, self.arrived, strict=True):
                first.setdefault(str(email.message_from_bytes(raw)["Message-ID"]), at)
        return first


class Processes:
    """Children in groups of their own; every one is killed at the end whatever happens."""

    def __init__(self, logs: Path) -> None:
        self.logs, self.children = logs, {}  # type: ignore[var-annotated]

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:  # type: ignore[type-arg]
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115
        # Marked, as `up` marks its children: the processes it starts inherit the mark.
        process = subprocess.Popen(argv, cwd=ROOT, env={**env, CHILD_MARK: name}, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        self.children[name] = process
        return process

    def kill(self, name: str) -> None:
        """SIGKILL a child and everything it started, as when its machine dies: Prefect
        starts each flow run in a session of its own (so a signal to the worker's group
        would leave the run's process alive, still sending heartbeats)."""
        process = self.children[name]
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        self._kill_marked(name)
        process.wait(10)

    def _kill_marked(self, name: str) -> None:
        for pid in processes_with_environment(CHILD_MARK, name):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for process in self.children.values():
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.children.values():
            with suppress(subprocess.TimeoutExpired):
                process.wait(max(deadline - time.monotonic(), 0.1))
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        for name in self.children:  # flow runs, each in a session of its own
            self._kill_marked(name)

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class Prefect:
    def __init__(self, url: str) -> None:
        self.url = url

    def call(self, method: str, path: str, body: object = None) -> object:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,  # noqa: S310
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return json.loads(response.read() or b"null")

    def answers(self) -> bool:
        try:
            return self.call("GET", "/health") is True
        except OSError:
            return False

    def deployment_id(self, name: str) -> str | None:
        try:
            return str(self.call("GET", f"/deployments/name/{name}")["id"])  # type: ignore[index]
        except (OSError, KeyError):
            return None

    def run_deployment(self, name: str) -> str:
        found = self.deployment_id(name)
        assert found, name
        run = self.call("POST", f"/deployments/{found}/create_flow_run", {"tags": ["scaleout"]})
        return str(run["id"])  # type: ignore[index]

    def state(self, run_id: str) -> str:
        return str(self.call("GET", f"/flow_runs/{run_id}")["state"]["type"])  # type: ignore[index]

    def online_workers(self) -> int:
        workers = self.call("POST", f"/work_pools/{POOL}/workers/filter", {})
        return sum(1 for w in workers if w.get("status") == "ONLINE")  # type: ignore[union-attr]

    def runs(self, **flow_filter: object) -> list[dict]:  # type: ignore[type-arg]
        body = {"limit": 200, **flow_filter}
        return self.call("POST", "/flow_runs/filter", body)  # type: ignore[return-value]


ZOMBIES = {
    "name": "hubtable: crash flow runs whose heartbeats stopped",
    "trigger": {
        "type": "event", "posture": "Proactive", "threshold": 1, "within": 75,
        "after": ["prefect.flow-run.heartbeat"],
        "expect": ["prefect.flow-run.heartbeat", "prefect.flow-run.Completed",
                   "prefect.flow-run.Failed", "prefect.flow-run.Cancelled",
                   "prefect.flow-run.Crashed"],
        "match": {"prefect.resource.id": ["prefect.flow-run.*"]},
        "for_each": ["prefect.resource.id"],
    },
    "actions": [{"type": "change-flow-run-state", "state": "CRASHED",
                 "message": "no heartbeat: its worker died"}],
}


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def post(self, path: str, form: dict[str, str], *, token_from: str) -> int:
        with self.opener.open(self.base + token_from, timeout=30) as response:
            page = response.read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, f"no CSRF token on {token_from}"
        body = urllib.parse.urlencode({"csrf_token": token.group(1), **form}).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code


def api_create(base: str, token: str) -> int:
    body = json.dumps({"table": "PEEL", "situation_type": "person", "age_group": "25-29",
                       "gender": "female", "risk_factors": ["mental_health.diagnosed",
                                                            "housing.transient"],
                       "aer_reasons": ["mental_health.diagnosed"], "options_exhausted": True,
                       "needs_multiple_agencies": True, "harm_probable_imminent": True,
                       "consent": "not_possible", "submit": True}).encode()
    request = urllib.request.Request(f"{base}/api/v1/situations", data=body,  # noqa: S310
                                     method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"FAILED: POST /api/v1/situations: {exc.code} {exc.read()[:300]!r}"
                         ) from None


def listens(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def worker_running(procs: Processes, run_id: str) -> str:
    """Which worker runs this flow run: the one its process descends from."""
    needle = f"PREFECT__FLOW_RUN_ID={run_id}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
        except OSError:
            continue
        pid = int(entry.name)
        while pid > 1:
            for name, process in procs.children.items():
                if name.startswith("worker-") and process.pid == pid:
                    return name
            try:
                pid = int((Path("/proc") / str(pid) / "stat").read_text()
                          .rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                break
    raise SystemExit(f"FAILED: no worker process runs flow run {run_id}")
