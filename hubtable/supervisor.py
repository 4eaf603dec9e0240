"""`hubtable up`: the whole product on one machine, kept up by a supervisor.

Children, each in its own process group (hubtable.processes):
1. `mail` (only when no HUBTABLE_SMTP_URL is configured): a local SMTP sink keeping every
   message in the data dir (hubtable.mailsink), so mail goes somewhere out of the box;
2. `prefect-server`: a local Prefect server on SQLite in the data dir (hubtable.prefect_children);
3. `web-1` ... `web-N`: the web UI under waitress, one process per core on one listening socket
   (hubtable.web_children, hubtable.webserver);
4. `runner`: serves the deployments (orchestration.runner) once the server answers, and a
   dispatch-listener run is started at once so that mail leaves within a second of a commit.

A child that dies is restarted with backoff (hubtable.services), logged, and shown in /healthz
and `hubtable status` (through `up.json`, hubtable.up_state): the web UI, and with it the
chair's meeting, keeps serving while Prefect, the runner or one web process is down. Ctrl-C,
SIGINT or SIGTERM stops everything gracefully; a second one stops it at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from hubtable import up_state
from hubtable.config import Settings
from hubtable.prefect_children import (
    DISPATCH_DEPLOYMENT,
    LISTENER_DEPLOYMENT,
    SERVER_START_TIMEOUT,
    PrefectChildren,
    StartError,
    prefect_client_environment,
    prefect_server_environment,
)
from hubtable.processes import (
    TOKEN_VARIABLE,
    Child,
    answers,
    bind_problem,
    die_with_parent,
    free_port,
    listens,
    port_is_free,
    processes_with_token,
)
from hubtable.services import Service, now_text
from hubtable.web_children import WEB_START_TIMEOUT, WebChildren, web_processes

__all__ = ["StartError", "Supervisor", "prefect_client_environment",
           "prefect_server_environment"]

ROOT = Path(__file__).resolve().parent.parent
STOP_GRACE_SECONDS = 8.0


@dataclass
class Supervisor(PrefectChildren, WebChildren):
    settings: Settings
    host: str = "127.0.0.1"
    port: int = 8000
    prefect_port: int | None = None
    out: IO[str] = field(default_factory=lambda: sys.stdout)
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    services: dict[str, Service] = field(default_factory=dict)
    smtp_url: str | None = None  # the configured server, if any
    sink_url: str | None = None  # else the local sink's address
    _signals: int = 0
    _kick_listener: bool = False

    @property
    def _stopping(self) -> bool:
        return self._signals > 0

    @property
    def children(self) -> list[Child]:
        return [s.child for s in self.services.values() if s.child is not None]

    # -- the run -----------------------------------------------------------------------
    def run(self) -> int:
        """Start everything, keep it running until a signal, stop everything."""
        # Before anything starts, each a StartError or SettingsError (one line from the CLI).
        web_count = web_processes()
        lock = self._lock_data_dir()  # outside the `finally` below: up.json is not ours
        try:
            self._check_web_address()  # after the lock: a second `up` is told that it is
        except StartError:
            lock.close()
            raise
        previous = {s: signal.signal(s, self._request_stop)
                    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            self._say(f"hubtable: data in {self.settings.data_dir}")
            self._initialise()
            if self._stopping:
                return 0
            self._start_mail()
            self._start_prefect()
            # The web processes need no Prefect address: their health report reads up.json,
            # which follows the server should it move to another port. Written now, so that
            # /healthz says from its first answer which server is starting (not "no Prefect").
            self._write_state()
            self._start_web(web_count)
            self._say(f"  web UI      http://{self._display_host()}:{self.port}  "
                      f"({web_count} process{'es' if web_count > 1 else ''})")
            self._wait_for_prefect()
            if self._stopping:
                return 0
            ended = self._end_leftover_runs()
            if ended:
                self._say(f"  ended {ended} flow run(s) the last hubtable up left running")
            self._add("runner", lambda: [sys.executable, "-m", "hubtable.group_guard",
                                         sys.executable, "-m", "orchestration.runner"],
                      self._client_env)  # the guard: its flow runs end with `up` too
            # Both deployments `up` starts runs of: the runner registers them one by one.
            self._wait_until("runner", lambda: all(
                answers(f"{self._prefect_url()}/api/deployments/name/{name}")
                for name in (DISPATCH_DEPLOYMENT, LISTENER_DEPLOYMENT)), SERVER_START_TIMEOUT)
            if self._stopping:
                return 0
            self._start_listener(wait=True)
            self._say(f"  Prefect UI  {self._prefect_url()}  (flows, runs and schedules)")
            if self.smtp_url is None:
                self._say(f"  mail        {self.settings.data_dir / 'mail'}  "
                          "(no HUBTABLE_SMTP_URL: kept here; `hubtable mail` lists it)")
            self._say(f"  logs        {self._log_dir()}")
            self._say("hubtable is up; press Ctrl-C to stop.")
            self._write_state()
            return self._watch()
        except StartError as exc:
            self._say(f"error: {exc}", err=True)
            return 1
        finally:
            self.stop()
            up_state.remove(self.settings.data_dir)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            lock.close()

    def _watch(self) -> int:
        """Restart whatever died, with backoff; the others keep serving meanwhile."""
        while not self._stopping:
            changed = False
            for service in self.services.values():
                changed |= self._tend(service)
            if self._kick_listener and self._prefect_ready():
                self._start_listener(wait=False)
            if changed:
                self._write_state()
            time.sleep(0.3)
        return 0

    def _tend(self, service: Service) -> bool:
        now = time.monotonic()
        child = service.child
        if service.restart_at is None:
            if child is None or child.alive():
                return False
            service.last_exit = child.process.returncode
            child.signal_group(signal.SIGKILL)  # whatever it started goes with it
            delay = service.died(now)
            self._say(f"warning: {service.name} stopped (exit {service.last_exit}); restarting "
                      f"in {delay:.0f} s; its log: {child.log_path}", err=True)
            return True
        if now < service.restart_at:
            return False
        if service.name == "prefect-server" and not port_is_free("127.0.0.1", self.prefect_port
                                                                  or 0):
            self.prefect_port = free_port()  # someone took our port meanwhile
            self._restart_now("runner")
        service.restart_at = None
        service.restarts += 1
        service.last_restart = now_text()
        self._spawn(service)
        self._say(f"restarted {service.name} (restart {service.restarts})")
        if service.name in ("prefect-server", "runner"):
            self._kick_listener = True
        return True

    def _restart_now(self, name: str) -> None:
        service = self.services.get(name)
        if service is not None and service.child is not None and service.child.alive():
            service.child.signal_group(signal.SIGTERM)

    def stop(self) -> None:
        """SIGINT to every group, then SIGTERM, then SIGKILL; then anything with our token.

        A second Ctrl-C or SIGTERM while stopping skips the grace periods.
        """
        self._signals = max(self._signals, 1)
        running = [c for c in self.children if c.alive()]
        if running:
            self._say("stopping: " + ", ".join(c.name for c in reversed(running)))
        for signum, grace in ((signal.SIGINT, STOP_GRACE_SECONDS), (signal.SIGTERM, 4.0),
                              (signal.SIGKILL, 2.0)):
            if not running:
                break
            if self._signals > 1 and signum != signal.SIGKILL:
                continue
            for child in reversed(running):
                child.signal_group(signum)
            deadline = time.monotonic() + grace
            while running and time.monotonic() < deadline:
                running = [c for c in running if c.alive()]
                if self._signals > 1 and signum != signal.SIGKILL:
                    break
                time.sleep(0.1)
        for child in self.children:
            child.signal_group(signal.SIGKILL)  # leftovers of a group whose leader exited
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=2)
        for pid in processes_with_token(self.token):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        self.services.clear()
        self._close_web_socket()

    # -- the children ------------------------------------------------------------------
    def _start_mail(self) -> None:
        """A local SMTP sink when no server is configured (a configured one replaces it)."""
        if os.environ.get("HUBTABLE_SMTP_URL"):
            self.smtp_url = os.environ["HUBTABLE_SMTP_URL"]
            return
        mail_port = free_port()
        mail_dir = self.settings.data_dir / "mail"
        self._add("mail", lambda: [sys.executable, "-m", "hubtable.mailsink", "127.0.0.1",
                                   str(mail_port), str(mail_dir)], dict)
        self._wait_until("mail", lambda: listens("127.0.0.1", mail_port), WEB_START_TIMEOUT)
        self.sink_url = f"smtp://127.0.0.1:{mail_port}"

    def _add(self, name: str, argv: Callable[[], list[str]],
             env: Callable[[], dict[str, str]], drop: tuple[str, ...] = (),
             fds: tuple[int, ...] = ()) -> Service:
        service = Service(name, argv, env, drop, fds)
        self.services[name] = service
        self._spawn(service)
        return service

    def _spawn(self, service: Service) -> None:
        env = {k: v for k, v in os.environ.items() if k not in service.drop}
        env.update(service.env())
        env[TOKEN_VARIABLE] = self.token
        env["HUBTABLE_DATA_DIR"] = str(self.settings.data_dir)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        env.setdefault("PYTHONUNBUFFERED", "1")
        log_path = self._log_dir() / f"{service.name}.log"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                service.argv(), env=env, cwd=str(ROOT), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent,
                pass_fds=service.fds)
        service.child = Child(service.name, process, log_path)
        service.started_at = time.monotonic()

    def _write_state(self) -> None:
        up_state.write(self.settings.data_dir, {
            "updated_at": now_text(),
            "web_url": f"http://{self._display_host()}:{self.port}",
            "prefect_api_url": f"{self._prefect_url()}/api",
            "smtp_url": self.smtp_url or self.sink_url,
            "mail_sink": self.smtp_url is None,
            "children": {name: s.as_dict() for name, s in self.services.items()},
        })

    def _request_stop(self, signum: int, _frame: object) -> None:
        self._signals += 1

    def _say(self, line: str, *, err: bool = False) -> None:
        print(line, file=sys.stderr if err else self.out, flush=True)

    def _display_host(self) -> str:
        if self.host in ("0.0.0.0", "::"):  # every interface: this machine's own address
            return "127.0.0.1"
        return f"[{self.host}]" if ":" in self.host else self.host

    def _log_dir(self) -> Path:
        path = self.settings.data_dir / "logs"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _lock_data_dir(self) -> IO[str]:
        """One `up` per data dir: a second one would fight over the same SQLite files."""
        try:
            handle = open(self.settings.data_dir / "up.lock", "a+")  # noqa: SIM115
        except OSError as exc:
            raise StartError(f"cannot write in the data dir {self.settings.data_dir} "
                             f"({exc.strerror or exc}): hubtable up needs it writable") from None
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

    def _check_web_address(self) -> None:
        """Fail before anything starts when the web UI could not listen where it is asked."""
        problem = bind_problem(self.host, self.port)
        if problem == "in use":
            raise StartError(f"port {self.port} on {self.host} is in use: choose another "
                             "with --port")
        if problem is not None:
            raise StartError(f"cannot listen on {self.host}:{self.port} ({problem}): "
                             "choose another --host or --port")

    def _initialise(self) -> None:
        """`hubtable init` when the database is empty or behind this version's migrations
        (idempotent: reruns are cheap)."""
        from hubtable.schema import is_current
        from hubtable.wiring import runtime_from
        from workflow import setup

        runtime = runtime_from(self.settings)  # a lost key store is one line, not a new one
        try:
            if not (setup.is_initialised(runtime) and is_current(runtime)):
                self._say("initialising the database (hubtable init)")
                for line in setup.initialise(runtime):
                    self._say(f"  {line}")
        finally:
            runtime.dispose()

    def _wait_until(self, name: str, ready: Callable[[], bool], timeout: float) -> None:
        child = self.services[name].child
        assert child is not None
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
