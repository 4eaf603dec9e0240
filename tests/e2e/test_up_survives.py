"""`hubtable up` without an SMTP server and with a Prefect server that dies.

Mail goes to the local sink (kept in the data dir, listed by `hubtable mail`); `hubtable status`
finds up's own Prefect server; when the Prefect child is SIGKILLed, the web UI keeps answering,
and the child comes back (restarted with backoff, shown in /healthz).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from support.factories import PASSWORD, build_world, open_meeting, submitted

from e2e.test_up_embedded import Browser, _free_port, _processes_of
from workflow import setup
from workflow.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _health(base: str) -> dict:
    with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
        assert response.status == 200
        return json.loads(response.read())


def test_up_keeps_mail_and_the_web_ui_when_prefect_dies(tmp_path):
    began = time.monotonic()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "HUBTABLE_"))}
    env.update(HUBTABLE_DATA_DIR=str(data_dir), HUBTABLE_SECRET_KEY="up-test-secret",
               HUBTABLE_IDENTITY_KEY="up-test-identity")  # no HUBTABLE_SMTP_URL: the sink
    runtime = Runtime(database_url=f"sqlite:///{data_dir / 'hubtable.db'}",
                      keystore_url=f"sqlite:///{data_dir / 'keystore.db'}",
                      identity_key="up-test-identity")
    setup.initialise(runtime)
    world = build_world(runtime)
    sid = submitted(world)
    mid = open_meeting(world)
    runtime.dispose()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "hubtable.cli", "up", "--port", str(port)], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(
        line.decode(errors="replace").rstrip() for line in process.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 150
        while not any("hubtable is up" in line for line in lines):
            assert process.poll() is None, "\n".join(lines)
            assert time.monotonic() < deadline, "\n".join(lines)
            time.sleep(0.2)

        # Mail out of the box: a decision's email lands in the data dir within a second or so.
        browser = Browser(base)
        status, _ = browser.post("/login", {"email": "chair@demo.hubtable.test",
                                            "password": PASSWORD}, token_from="/login")
        assert status == 200
        item = f"/meetings/{mid}/situations/{sid}"
        status, page = browser.post(f"{item}/decide", {"decision": "accept"}, token_from=item)
        assert status == 200, page[:300]
        decided = time.monotonic()
        mail = data_dir / "mail"
        while not list(mail.glob("*.eml")):
            assert time.monotonic() - decided < 90, "no mail kept"
            time.sleep(0.05)
        print(f"first mail kept {time.monotonic() - decided:.2f} s after the decision")
        listing = subprocess.run([sys.executable, "-m", "hubtable.cli", "mail"], cwd=ROOT,
                                 env=env, capture_output=True, text=True, timeout=60)
        assert listing.returncode == 0 and "message(s) in" in listing.stdout

        # `hubtable status` finds up's Prefect server through up.json.
        state = json.loads((data_dir / "up.json").read_text())
        found = subprocess.run([sys.executable, "-m", "hubtable.cli", "status"], cwd=ROOT,
                               env=env, capture_output=True, text=True, timeout=60)
        assert f"prefect  {state['prefect_api_url']}  ok" in found.stdout, found.stdout

        # Prefect dies: the web UI keeps answering, and the child comes back.
        os.killpg(state["children"]["prefect-server"]["pid"], signal.SIGKILL)
        killed = time.monotonic()
        while time.monotonic() - killed < 5:
            assert _health(base)["database"] == "ok"
            time.sleep(0.2)
        while True:
            health = _health(base)
            child = health["children"]["prefect-server"]
            if child["restarts"] >= 1 and child["state"] == "running" and health["prefect"]["ok"]:
                break
            assert time.monotonic() - killed < 150, health
            time.sleep(1)
        assert any("prefect-server stopped" in line for line in lines), "\n".join(lines)
        assert process.poll() is None  # up itself never stopped
        print(f"prefect back {time.monotonic() - killed:.1f} s after the kill")
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
    assert not (data_dir / "up.json").exists()
    assert time.monotonic() - began < 300
