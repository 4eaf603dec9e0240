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
import time

import pytest
from support.factories import PASSWORD, build_world, open_meeting, submitted

from e2e.running_up import ROOT, RunningUp, health, processes_of, up_environment
from e2e.test_up_embedded import Browser
from workflow import setup
from workflow.runtime import Runtime

pytestmark = pytest.mark.slow


def test_up_keeps_mail_and_the_web_ui_when_prefect_dies(tmp_path):
    began = time.monotonic()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = up_environment(data_dir)  # no HUBTABLE_SMTP_URL: the sink
    runtime = Runtime(database_url=f"sqlite:///{data_dir / 'hubtable.db'}",
                      keystore_url=f"sqlite:///{data_dir / 'keystore.db'}",
                      identity_key="up-test-identity")
    setup.initialise(runtime)
    world = build_world(runtime)
    sid = submitted(world)
    mid = open_meeting(world)
    runtime.dispose()

    up = RunningUp(env, prefect_port=False)
    base, lines = up.base, up.lines
    try:
        up.wait_until_up(150)

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
            assert health(base)["database"] == "ok"
            time.sleep(0.2)
        while True:
            now = health(base)
            child = now["children"]["prefect-server"]
            if child["restarts"] >= 1 and child["state"] == "running" and now["prefect"]["ok"]:
                break
            assert time.monotonic() - killed < 150, now
            time.sleep(1)
        assert any("prefect-server stopped" in line for line in lines), "\n".join(lines)
        assert up.process.poll() is None  # up itself never stopped
        print(f"prefect back {time.monotonic() - killed:.1f} s after the kill")
    finally:
        code = up.stop()
    assert code == 0, up.output
    time.sleep(0.5)
    assert processes_of(data_dir) == [], up.output
    assert not (data_dir / "up.json").exists()
    assert time.monotonic() - began < 300
