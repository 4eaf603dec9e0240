"""`hubtable up` end to end: one command starts the web UI, a Prefect server and the runner; a
decision taken in the browser's routes reaches the lead agency's mailbox through the dispatch
flow; SIGINT leaves no process behind.
"""

from __future__ import annotations

import email
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from support.factories import PASSWORD, build_world, open_meeting, submitted

from workflow import setup
from workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _processes_of(data_dir: Path) -> list[int]:
    """Every live process started for this data dir (its environment says so)."""
    needle = f"HUBTABLE_DATA_DIR={data_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in environ and state != "Z":
            found.append(int(entry.name))
    return found


def _scheduled_runs(prefect_url: str) -> list[dict]:
    """Runs created by Prefect's scheduler (not by a trigger)."""
    body = json.dumps({"limit": 200}).encode()
    request = urllib.request.Request(f"{prefect_url}/api/flow_runs/filter", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return [run for run in json.loads(response.read()) if run["auto_scheduled"]]


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
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "HUBTABLE_"))}
    env.update(HUBTABLE_DATA_DIR=str(data_dir), HUBTABLE_SECRET_KEY="up-test-secret",
               HUBTABLE_IDENTITY_KEY="up-test-identity",
               HUBTABLE_SMTP_URL=f"smtp://127.0.0.1:{smtp_server.port}",
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

    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "hubtable.cli", "up", "--port", str(port),
         "--prefect-port", str(_free_port())],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(
        line.decode(errors="replace").rstrip() for line in process.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 240  # up waits for the listener; CI is busy
        while not any("hubtable is up" in line for line in lines):
            assert process.poll() is None, "\n".join(lines)
            assert time.monotonic() < deadline, "\n".join(lines)
            time.sleep(0.2)
        assert any(f"http://127.0.0.1:{port}" in line for line in lines)
        assert any("Prefect UI" in line for line in lines)
        started = time.monotonic() - began

        browser = Browser(f"http://127.0.0.1:{port}")
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
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
        reader.join(5)
    assert code == 0, "\n".join(lines)
    time.sleep(0.5)
    assert _processes_of(data_dir) == [], "\n".join(lines)
    assert time.monotonic() - began < 360
