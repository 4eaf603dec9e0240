"""`hubtable up` end to end: one command starts the web UI, a Prefect server and the runner; a
decision taken in the browser's routes reaches the lead agency's mailbox through the dispatch
flow; SIGINT leaves no process behind.
"""

from __future__ import annotations

import email
import http.cookiejar
import json
import re
import threading
import time
import urllib.parse
import urllib.request

import pytest
from support.factories import PASSWORD, build_world, open_meeting, submitted

from e2e.running_up import READY, RunningUp, processes_of, up_environment
from workflow import setup
from workflow.runtime import Runtime

pytestmark = pytest.mark.slow


def _scheduled_runs(prefect_url: str) -> list[dict]:
    """Runs created by Prefect's scheduler (not by a trigger)."""
    body = json.dumps({"limit": 200}).encode()
    request = urllib.request.Request(f"{prefect_url}/api/flow_runs/filter", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return [run for run in json.loads(response.read()) if run["auto_scheduled"]]


def _watch_health(up: RunningUp, seen: list[dict]) -> None:
    """Every answer of /healthz's Prefect part until up says it is up."""
    while not any(READY in line for line in up.lines) and up.process.poll() is None:
        try:
            with urllib.request.urlopen(f"{up.base}/healthz", timeout=5) as response:
                seen.append(json.loads(response.read())["prefect"])
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)


class Browser:
    """Just enough of a browser: cookies, forms with their CSRF token, redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, form: dict[str, object], *, token_from: str) -> tuple[int, str]:
        page = self.get(token_from)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page)
        assert token, f"no CSRF token on {token_from}"
        body = urllib.parse.urlencode({"csrf_token": token.group(1), **form}, doseq=True)
        try:
            with self.opener.open(self.base + path, data=body.encode(), timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


def test_up_serves_the_product_and_the_flows_then_stops_cleanly(tmp_path, smtp_server):
    began = time.monotonic()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = up_environment(data_dir, HUBTABLE_SMTP_URL=f"smtp://127.0.0.1:{smtp_server.port}",
                         HUBTABLE_MAIL_FROM="hubtable@table.test")
    # A community with a submitted situation and an open meeting, as a table would have.
    runtime = Runtime(database_url=f"sqlite:///{data_dir / 'hubtable.db'}",
                      keystore_url=f"sqlite:///{data_dir / 'keystore.db'}",
                      identity_key="up-test-identity")
    setup.initialise(runtime)
    world = build_world(runtime)
    sid = submitted(world)
    mid = open_meeting(world)
    runtime.dispose()

    up = RunningUp(env)
    lines = up.lines
    starting: list[dict] = []  # what /healthz said of Prefect while up was still starting
    watcher = threading.Thread(target=_watch_health, args=(up, starting), daemon=True)
    watcher.start()
    try:
        up.wait_until_up(240)  # up waits for the listener; CI is busy
        watcher.join(timeout=10)
        # From its first answer /healthz names the server up is starting (up.json is written
        # before the web starts), never "no Prefect configured".
        assert starting, up.output
        assert all(p.get("configured") and p.get("api_url") for p in starting), starting
        assert any(up.base in line for line in lines)
        assert any("Prefect UI" in line for line in lines)
        # a clean start warns of nothing (the listener's deployment was once asked for
        # before the runner had registered it)
        assert [line for line in lines if "warning" in line] == [], up.output
        started = time.monotonic() - began

        browser = Browser(up.base)
        status, _ = browser.post("/login", {"email": "chair@demo.hubtable.test",
                                            "password": PASSWORD}, token_from="/login")
        assert status == 200
        item = f"/meetings/{mid}/situations/{sid}"
        decided_at = time.monotonic()
        status, page = browser.post(f"{item}/decide", {"decision": "accept"}, token_from=item)
        assert status == 200, page[:500]
        cmha = world.agencies["cmha"]
        status, page = browser.post(f"{item}/disclose",
                                    {"agency_ids": [cmha], "legal_basis": "phipa_40_1"},
                                    token_from=item)
        assert status == 200, page[:500]
        status, page = browser.post(f"{item}/plan", {"lead_agency_id": cmha}, token_from=item)
        assert status == 200, page[:500]

        def lead_mail() -> list[email.message.Message]:
            return [m for m in (email.message_from_bytes(raw) for raw in smtp_server.bodies())
                    if m["X-Hubtable-Event"] == "situation.lead_assigned"
                    and "cmha" in m["To"]]

        deadline = time.monotonic() + 60
        while not lead_mail():
            assert time.monotonic() < deadline, f"no lead email; {len(smtp_server.messages)} sent"
            time.sleep(0.2)
        latency = time.monotonic() - decided_at
        accepted = [m for m in (email.message_from_bytes(r) for r in smtp_server.bodies())
                    if m["X-Hubtable-Event"] == "situation.accepted"]
        assert accepted  # the decision itself was announced too
        health = browser.get("/healthz")
        assert '"dispatch-notifications"' in health
        # The schedules fire: Prefect's scheduler has created runs of the served deployments.
        prefect_url = next(line.split()[2] for line in lines if "Prefect UI" in line)
        deadline = time.monotonic() + 90
        while not _scheduled_runs(prefect_url):
            assert time.monotonic() < deadline, "the Prefect scheduler created no run"
            time.sleep(1)
        print(f"up in {started:.1f} s; lead's email {latency:.1f} s after the decision")
    finally:
        code = up.stop()
    assert code == 0, up.output
    time.sleep(0.5)
    assert processes_of(data_dir) == [], up.output
    assert time.monotonic() - began < 360
