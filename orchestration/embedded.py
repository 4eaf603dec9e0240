"""`hubtable up`: the whole product on one machine, with nothing else to install.

Three children, each in its own process group so that one signal stops each with everything it
started:

1. a local Prefect server (`prefect server start`) on SQLite in the data dir: Prefect's
   in-process "ephemeral" mode runs no scheduler, so schedules need a real server process;
2. a runner serving the deployments (`python -m orchestration.runner`) once the server answers;
3. the web UI under waitress (`python -m orchestration.webserver`).

Ctrl-C, SIGINT or SIGTERM stops them all: SIGINT to each group, then SIGTERM, then SIGKILL for
anything still alive, and finally any process that carries this run's token in its environment
(flow runs start in sessions of their own), so no orphan survives. The data dir is reused by the
next `up`: same application database, same Prefect database, same schedules.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from hubtable.config import Settings
from orchestration.schedule import DISPATCH

ROOT = Path(__file__).resolve().parent.parent
TOKEN_VARIABLE = "HUBTABLE_UP_TOKEN"
PREFECT_DEFAULT_PORT = 4200
SERVER_START_TIMEOUT = 120.0
WEB_START_TIMEOUT = 60.0
STOP_GRACE_SECONDS = 8.0
_PR_SET_PDEATHSIG = 1


class StartError(RuntimeError):
    """A child could not start; the message says which and where its log is."""


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def prefect_server_environment(settings: Settings, port: int) -> dict[str, str]:
    """The Prefect server's settings: its own home and SQLite database inside the data dir."""
    home = settings.data_dir / "prefect"
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api",
    }


def prefect_client_environment(settings: Settings, port: int) -> dict[str, str]:
    """What the runner and the web process need to reach that server."""
    return {
        "PREFECT_HOME": str(settings.data_dir / "prefect"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # Poll every second (default 10): a triggered dispatch starts within ~2 s.
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
    }


def _die_with_parent() -> None:
    """In the child: if the supervisor is killed outright, the kernel stops the child too."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def processes_with_token(token: str) -> list[int]:
    """Every process whose environment carries this run's token (children's children too)."""
    needle = f"{TOKEN_VARIABLE}={token}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


@dataclass
class Supervisor:
    settings: Settings
    host: str = "127.0.0.1"
    port: int = 8000
    prefect_port: int | None = None
    out: IO[str] = field(default_factory=lambda: sys.stdout)
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    children: list[Child] = field(default_factory=list)
    _stopping: bool = False

    # -- the run -----------------------------------------------------------------------
    def run(self) -> int:
        """Start everything, wait for a signal or a child's death, stop everything."""
        lock = self._lock_data_dir()
        previous = {s: signal.signal(s, self._request_stop)
                    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            self._say(f"hubtable: data in {self.settings.data_dir}")
            self._initialise()
            if self._stopping:
                return 0
            prefect_port = self._choose_prefect_port()
            server = self._spawn("prefect-server", [
                sys.executable, "-m", "orchestration.prefect_server",
                "--host", "127.0.0.1", "--port", str(prefect_port)],
                prefect_server_environment(self.settings, prefect_port), drop=("PREFECT_API_URL",))
            client_env = prefect_client_environment(self.settings, prefect_port)
            self._spawn("web", [sys.executable, "-m", "orchestration.webserver", self.host,
                                str(self.port)], client_env)
            web_url = f"http://{self._display_host()}:{self.port}"
            probe_host = "127.0.0.1" if self.host == "0.0.0.0" else self.host
            self._wait_until("web", lambda: _listens(probe_host, self.port), WEB_START_TIMEOUT)
            self._say(f"  web UI      {web_url}")
            prefect_url = f"http://127.0.0.1:{prefect_port}"
            self._wait_until("prefect-server", lambda: _answers(f"{prefect_url}/api/health"),
                             SERVER_START_TIMEOUT, child=server)
            if self._stopping:
                return 0
            self._spawn("runner", [sys.executable, "-m", "orchestration.runner"], client_env)
            # Up means the schedules are registered and a triggered dispatch finds its
            # deployment: wait for the runner to have created it.
            self._wait_until("runner", lambda: _answers(
                f"{prefect_url}/api/deployments/name/{DISPATCH.deployment_name}"),
                SERVER_START_TIMEOUT)
            if self._stopping:
                return 0
            self._say(f"  Prefect UI  {prefect_url}  (flows, runs and schedules)")
            self._say(f"  logs        {self._log_dir()}")
            self._say("hubtable is up; press Ctrl-C to stop.")
            return self._watch()
        except StartError as exc:
            self._say(f"error: {exc}", err=True)
            return 1
        finally:
            self.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            lock.close()

    def _watch(self) -> int:
        while not self._stopping:
            for child in self.children:
                if not child.alive():
                    self._say(f"error: {child.name} stopped (exit {child.process.returncode}); "
                              f"its log: {child.log_path}\n{child.log_tail()}", err=True)
                    return 1
            time.sleep(0.3)
        return 0

    def stop(self) -> None:
        """SIGINT to every group, then SIGTERM, then SIGKILL; then anything with our token."""
        self._stopping = True
        running = [c for c in self.children if c.alive()]
        if running:
            self._say("stopping: " + ", ".join(c.name for c in reversed(running)))
        for signum, grace in ((signal.SIGINT, STOP_GRACE_SECONDS), (signal.SIGTERM, 4.0),
                              (signal.SIGKILL, 2.0)):
            if not running:
                break
            for child in reversed(running):
                child.signal_group(signum)
            deadline = time.monotonic() + grace
            while running and time.monotonic() < deadline:
                running = [c for c in running if c.alive()]
                time.sleep(0.1)
        for child in self.children:
            child.signal_group(signal.SIGKILL)  # leftovers of a group whose leader exited
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=2)
        for pid in processes_with_token(self.token):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        self.children.clear()

    # -- helpers -----------------------------------------------------------------------
    def _request_stop(self, signum: int, _frame: object) -> None:
        self._stopping = True

    def _say(self, line: str, *, err: bool = False) -> None:
        print(line, file=sys.stderr if err else self.out, flush=True)

    def _display_host(self) -> str:
        return "127.0.0.1" if self.host == "0.0.0.0" else self.host

    def _log_dir(self) -> Path:
        path = self.settings.data_dir / "logs"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _lock_data_dir(self) -> IO[str]:
        """One `up` per data dir: a second one would fight over the same SQLite files."""
        handle = open(self.settings.data_dir / "up.lock", "a+")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StartError(f"hubtable up is already running for {self.settings.data_dir} "
                             f"(pid {holder})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        return handle

    def _initialise(self) -> None:
        """`hubtable init` when the database is empty (idempotent: reruns are cheap)."""
        from workflow import setup
        from workflow.runtime import Runtime

        runtime = Runtime(database_url=self.settings.database_url,
                          keystore_url=self.settings.keystore_url,
                          identity_key=self.settings.identity_key)
        try:
            if not setup.is_initialised(runtime):
                self._say("initialising the database (hubtable init)")
                for line in setup.initialise(runtime):
                    self._say(f"  {line}")
        finally:
            runtime.dispose()

    def _choose_prefect_port(self) -> int:
        if self.prefect_port is not None:
            if not port_is_free("127.0.0.1", self.prefect_port):
                raise StartError(f"port {self.prefect_port} for Prefect is in use")
            return self.prefect_port
        if port_is_free("127.0.0.1", PREFECT_DEFAULT_PORT):
            return PREFECT_DEFAULT_PORT
        return free_port()

    def _spawn(self, name: str, argv: list[str], extra_env: dict[str, str],
               drop: tuple[str, ...] = ()) -> Child:
        env = {k: v for k, v in os.environ.items() if k not in drop}
        env.update(extra_env)
        env[TOKEN_VARIABLE] = self.token
        env["HUBTABLE_DATA_DIR"] = str(self.settings.data_dir)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        env.setdefault("PYTHONUNBUFFERED", "1")
        log_path = self._log_dir() / f"{name}.log"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                argv, env=env, cwd=str(ROOT), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent)
        child = Child(name, process, log_path)
        self.children.append(child)
        return child

    def _wait_until(self, name: str, ready: Callable[[], bool], timeout: float, *,
                    child: Child | None = None) -> None:
        child = child or next(c for c in self.children if c.name == name)
        deadline = time.monotonic() + timeout
        while not self._stopping:
            if not child.alive():
                raise StartError(f"{name} exited while starting (exit "
                                 f"{child.process.returncode}); its log: {child.log_path}\n"
                                 f"{child.log_tail()}")
            if ready():
                return
            if time.monotonic() > deadline:
                raise StartError(f"{name} did not answer within {timeout:.0f} s; its log: "
                                 f"{child.log_path}")
            time.sleep(0.25)


def _answers(url: str) -> bool:
    """True once the URL answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


def _listens(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0
