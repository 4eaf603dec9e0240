"""`hubtable up` serves the web UI with several processes on one port (issue 17).

HUBTABLE_WEB_PROCESSES=2: up.json shows `web-1` and `web-2`, two processes holding the one
listening socket; SIGKILL one and the UI keeps answering (the other accepts) while it is
restarted; then kill the other: the restarted one answers alone, so both really served the port.
/healthz tells the truth throughout. Before each kill, the process left to answer has answered
itself (/healthz names the process that served it): "running" means started, and a process
still importing the app would hold the first request for seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from support.notify import free_port

from e2e.running_up import ROOT, RunningUp, health, processes_of, up_environment

pytestmark = pytest.mark.slow


def _login_page(base: str) -> int:
    with urllib.request.urlopen(f"{base}/login", timeout=5) as response:
        return response.status


def _wait_running(base: str, name: str, restarts: int, began: float) -> dict:
    while True:
        child = health(base)["children"][name]
        if child["state"] == "running" and child["restarts"] >= restarts:
            return child
        assert time.monotonic() - began < 90, child
        time.sleep(0.3)


def _wait_serving(base: str, pid: int) -> None:
    """Until the web process `pid` has answered a request (the kernel hands each new
    connection to whichever process accepts first, so ask until it is this one)."""
    began = time.monotonic()
    while health(base).get("served_by") != pid:
        assert time.monotonic() - began < 90, f"web process {pid} never answered"
        time.sleep(0.05)


def _kill_and_keep_serving(base: str, child: dict) -> float:
    """SIGKILL one web process; every request meanwhile is answered (by the other one)."""
    os.killpg(child["pid"], signal.SIGKILL)
    killed = time.monotonic()
    answered = 0
    while time.monotonic() - killed < 3:
        assert _login_page(base) == 200
        answered += 1
    assert answered > 10
    return killed


def test_up_runs_web_processes_on_one_port_and_survives_losing_one(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    up = RunningUp(up_environment(data_dir, HUBTABLE_WEB_PROCESSES="2"), prefect_port=False)
    base, lines = up.base, up.lines
    try:
        up.wait_until_up(150)
        assert any("(2 processes)" in line for line in lines), "\n".join(lines)
        children = health(base)["children"]
        first, second = children["web-1"], children["web-2"]
        assert first["state"] == second["state"] == "running"
        assert first["pid"] != second["pid"]

        _wait_serving(base, second["pid"])
        killed = _kill_and_keep_serving(base, first)
        back = _wait_running(base, "web-1", 1, killed)
        assert back["pid"] != first["pid"] and back["last_exit"] is not None
        assert health(base)["children"]["web-2"]["pid"] == second["pid"]
        _wait_serving(base, back["pid"])

        # Now the other one: the restarted web-1 answers alone, so it serves the same port.
        killed = _kill_and_keep_serving(base, second)
        _wait_running(base, "web-2", 1, killed)
        assert any("web-1 stopped" in line for line in lines), "\n".join(lines)
        assert up.process.poll() is None
    finally:
        code = up.stop()
    assert code == 0, up.output
    time.sleep(0.5)
    assert processes_of(data_dir) == [], up.output


def test_a_wrong_number_of_web_processes_is_one_line(tmp_path):
    env = up_environment(tmp_path, HUBTABLE_WEB_PROCESSES="many")
    found = subprocess.run([sys.executable, "-m", "hubtable.cli", "up", "--port",
                            str(free_port())], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=60)
    assert found.returncode != 0
    assert found.stderr.strip().splitlines() == [
        "error: HUBTABLE_WEB_PROCESSES must be a whole number from 1 to 64, not 'many'"]
