"""`hubtable up` as a real child process, for the end-to-end tests that start it: one way to
start it, wait until it says it is up, read what it printed, and stop it as an operator
would (Ctrl-C), so each test says only what it checks.
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
from typing import Any

from support.notify import free_port

from hubtable.processes import processes_with_environment

ROOT = Path(__file__).resolve().parents[2]
READY = "hubtable is up"


def up_environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """The test process's environment without its PREFECT_/HUBTABLE_ settings, plus these."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "HUBTABLE_"))}
    env.update(HUBTABLE_DATA_DIR=str(data_dir), HUBTABLE_SECRET_KEY="up-test-secret",
               HUBTABLE_IDENTITY_KEY="up-test-identity", **extra)
    return env


def processes_of(data_dir: Path) -> list[int]:
    """Every live process started for this data dir (its environment says so)."""
    return processes_with_environment("HUBTABLE_DATA_DIR", str(data_dir))


class RunningUp:
    """`hubtable up` on a free port; `lines` is everything it printed so far."""

    def __init__(self, env: dict[str, str], *args: str, prefect_port: bool = True) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "hubtable.cli", "up", "--port", str(self.port), *args]
        if prefect_port:
            command += ["--prefect-port", str(free_port())]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        self.lines.extend(line.decode(errors="replace").rstrip()
                          for line in self.process.stdout)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_until_up(self, timeout: float) -> float:
        """Seconds until `up` said it serves; fails with its output if it died or took longer."""
        started = time.monotonic()
        while not any(READY in line for line in self.lines):
            assert self.process.poll() is None, self.output
            assert time.monotonic() - started < timeout, self.output
            time.sleep(0.2)
        return time.monotonic() - started

    def stop(self) -> int:
        """Ctrl-C, as an operator would; SIGKILL the whole group if it hangs. The exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise
        self._reader.join(5)
        return code


def health(base: str) -> dict[str, Any]:
    """/healthz as JSON (it must answer 200)."""
    with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
        assert response.status == 200
        return dict(json.loads(response.read()))
