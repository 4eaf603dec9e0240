"""An operator's mistakes around the long-running commands (`hubtable up`, `worker`, `status`):
each is one specific line on stderr and a non-zero exit, never a traceback; `up` killed
outright leaves nothing running; a password in PREFECT_API_URL is never shown."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from support.notify import free_port

from hubtable.config import SettingsError
from hubtable.processes import processes_with_environment
from hubtable.web_children import web_processes

ROOT = Path(__file__).resolve().parents[2]


def _hubtable(data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBTABLE_", "PREFECT_"))}
    env.update(HUBTABLE_DATA_DIR=str(data_dir), HUBTABLE_SECRET_KEY="up-mistakes",
               HUBTABLE_IDENTITY_KEY="up-mistakes", **extra)
    return subprocess.run([sys.executable, "-m", "hubtable.cli", *args], env=env, cwd=ROOT,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)


def _one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def _nothing_left(data_dir: Path) -> None:
    assert processes_with_environment("HUBTABLE_DATA_DIR", str(data_dir)) == []


@pytest.fixture
def held_data_dir(tmp_path):
    """A data dir whose `up` lock another `up` holds (as a running one does)."""
    with open(tmp_path / "up.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write("4242")
        lock.flush()
        yield tmp_path


def test_a_second_up_on_the_same_data_dir_is_one_line(held_data_dir):
    """Was a traceback (StartError raised outside run()'s handling)."""
    done = _hubtable(held_data_dir, "up", "--port", str(free_port()))
    line = _one_error_line(done)
    assert line == f"error: hubtable up is already running for {held_data_dir} (pid 4242)"
    _nothing_left(held_data_dir)


def test_a_second_up_on_the_same_port_is_told_up_runs_not_port_in_use(held_data_dir):
    """The first `up` holds both the data dir and the port: the lock is what to tell."""
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = _one_error_line(_hubtable(held_data_dir, "up", "--port", str(port)))
    assert "hubtable up is already running" in line


@pytest.mark.parametrize(("host", "reason"), [
    ("192.0.2.1", "Cannot assign requested address"),  # TEST-NET-1: no machine's own address
    ("no-such-host.invalid", ""),
])
def test_up_on_an_address_it_cannot_listen_on_says_why_not_in_use(tmp_path, host, reason):
    """Was "port N on HOST is in use" for any failure to bind."""
    port = free_port()
    line = _one_error_line(_hubtable(tmp_path, "up", "--host", host, "--port", str(port)))
    assert line.startswith(f"error: cannot listen on {host}:{port} ("), line
    assert reason in line and "in use" not in line
    _nothing_left(tmp_path)


def test_up_with_the_same_port_for_web_and_prefect_is_refused(tmp_path):
    """Was accepted: Prefect then lost the race and silently moved to another port."""
    port = str(free_port())
    line = _one_error_line(_hubtable(tmp_path, "up", "--port", port, "--prefect-port", port))
    assert "--prefect-port" in line and port in line


def test_up_in_a_data_dir_it_cannot_write_says_so(tmp_path):
    """Was the bare OSError ("[Errno 21] Is a directory: .../up.lock"). The tests may run as
    root, whom permissions do not stop: an up.lock that cannot be opened stands in."""
    (tmp_path / "up.lock").mkdir()
    line = _one_error_line(_hubtable(tmp_path, "up", "--port", str(free_port())))
    assert line.startswith(f"error: cannot write in the data dir {tmp_path} ("), line
    assert "needs it writable" in line


@pytest.mark.parametrize("raw", ["²", "٣", "abc", "0", "65"])
def test_web_processes_must_be_a_plain_number(raw):
    """"²" passed str.isdigit() and then failed int(): "invalid literal for int()"."""
    with pytest.raises(SettingsError, match="HUBTABLE_WEB_PROCESSES must be a whole number"):
        web_processes({"HUBTABLE_WEB_PROCESSES": raw})


def test_worker_against_a_prefect_server_that_does_not_answer_is_one_line(tmp_path):
    """Was Prefect's client traceback (httpx.ConnectError), ~110 lines."""
    url = f"http://operator:s3cret@127.0.0.1:{free_port()}/api"
    line = _one_error_line(_hubtable(tmp_path, "worker", PREFECT_API_URL=url))
    assert line.startswith("error: no Prefect server answers at PREFECT_API_URL="), line
    assert "s3cret" not in line and "operator:***@" in line


def test_worker_with_a_prefect_url_that_is_no_url_is_one_line(tmp_path):
    """Was Prefect's traceback (httpx.UnsupportedProtocol)."""
    line = _one_error_line(_hubtable(tmp_path, "worker", PREFECT_API_URL="prefect-host"))
    assert "PREFECT_API_URL is not a valid URL" in line and "'prefect-host'" in line


def test_status_never_shows_a_password_in_prefect_api_url(runtime, tmp_path, monkeypatch):
    """/healthz and `hubtable status` (text and --json) showed PREFECT_API_URL as set."""
    from hubtable.health import orchestration_health

    monkeypatch.setenv("HUBTABLE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PREFECT_API_URL", f"http://operator:s3cret@127.0.0.1:{free_port()}/api")
    prefect = orchestration_health(runtime)["prefect"]
    assert prefect["ok"] is False
    assert "s3cret" not in repr(prefect) and "operator:***@" in prefect["api_url"]


_IGNORES_TERM = textwrap.dedent("""
    import signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, lambda *_: None)  # as Prefect's runner: waits on its server
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])  # a flow run
    time.sleep(300)
""")
_UP = textwrap.dedent("""
    import subprocess, sys, time
    from hubtable.processes import die_with_parent
    subprocess.Popen([sys.executable, "-m", "hubtable.group_guard", sys.executable, "-c",
                      sys.argv[1]], start_new_session=True, preexec_fn=die_with_parent)
    time.sleep(300)
""")


def test_the_runner_and_its_flow_runs_end_when_up_is_killed_outright(tmp_path):
    """`up` killed -9 left the runner (SIGTERM from PR_SET_PDEATHSIG: it waited on the dead
    Prefect server) and its listener flow run running for minutes. Here `up` stands in with
    the way it starts the runner, and the runner with a process that ignores SIGTERM."""
    env = {**os.environ, "HUBTABLE_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    up = subprocess.Popen([sys.executable, "-c", _UP, _IGNORES_TERM], env=env, cwd=ROOT,
                          start_new_session=True)
    deadline = time.monotonic() + 30
    try:
        while len(processes_with_environment("HUBTABLE_DATA_DIR", str(tmp_path))) < 4:
            assert time.monotonic() < deadline, "the stand-ins did not start"
            time.sleep(0.1)
        up.send_signal(signal.SIGKILL)
        up.wait()
        deadline = time.monotonic() + 15
        while processes_with_environment("HUBTABLE_DATA_DIR", str(tmp_path)):
            assert time.monotonic() < deadline, "left running after up was killed"
            time.sleep(0.2)
    finally:
        for pid in processes_with_environment("HUBTABLE_DATA_DIR", str(tmp_path)):
            os.kill(pid, signal.SIGKILL)
