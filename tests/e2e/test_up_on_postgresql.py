"""`hubtable up` on an operator's plain PostgreSQL URL: it starts, /healthz answers, Ctrl-C
stops it cleanly (the rest of the URL's story is in tests/ops/test_postgresql_url.py)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "HUBTABLE_"))}
    env.update(HUBTABLE_DATA_DIR=str(tmp_path / "data"), HUBTABLE_DATABASE_URL=url,
               HUBTABLE_IDENTITY_KEY="ops-key", HUBTABLE_SECRET_KEY="ops-secret")
    return env


def _hubtable(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hubtable.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_up_starts_on_a_plain_postgresql_url(plain_url, tmp_path):
    env = _env(tmp_path, plain_url)
    assert _hubtable(env, "init").returncode == 0
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
        deadline = time.monotonic() + 150
        while not any("hubtable is up" in line for line in lines):
            assert process.poll() is None, "\n".join(lines)
            assert time.monotonic() < deadline, "\n".join(lines)
            time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as resp:
            health = json.loads(resp.read())
        assert resp.status == 200
        db = health["database"]
        assert db == "ok" or (isinstance(db, dict) and db.get("ok") is True), health
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
