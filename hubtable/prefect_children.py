"""The Prefect side of `hubtable up`: a local Prefect server, and the dispatch listener started
at once (rather than at its next scheduled time) so that mail leaves within a second of a commit.

Prefect's in-process "ephemeral" mode runs no scheduler, so schedules need a real server
process: its database is SQLite in the data dir. Its port is chosen free, and then checked to
be bound by our own child: two installations started together cannot end up talking to one
server. A mixin of hubtable.supervisor.Supervisor (it uses the supervisor's children and log).
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

from hubtable.config import Settings
from hubtable.processes import answers, free_port, port_is_free

PREFECT_DEFAULT_PORT = 4200
SERVER_START_TIMEOUT = 120.0
PORT_ATTEMPTS = 5
DISPATCH_DEPLOYMENT = "dispatch-notifications/hubtable"
LISTENER_DEPLOYMENT = "dispatch-listener/hubtable"


class StartError(RuntimeError):
    """A child could not start; the message says which and where its log is."""


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
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
    }


class PrefectChildren:
    """The Prefect server child, its address, and the listener kick (mixed into Supervisor)."""

    settings: Settings
    prefect_port: int | None
    services: dict[str, Any]
    sink_url: str | None
    _kick_listener: bool

    def _start_prefect(self) -> None:
        self.prefect_port = self._choose_prefect_port()
        self._add("prefect-server", lambda: [
            sys.executable, "-m", "orchestration.prefect_server", "--host", "127.0.0.1",
            "--port", str(self.prefect_port)],
            lambda: prefect_server_environment(self.settings, self._port()),
            drop=("PREFECT_API_URL",))

    def _wait_for_prefect(self) -> None:
        """Until our own server answers; a server that lost its port starts on another one."""
        for attempt in range(1, PORT_ATTEMPTS + 1):
            service = self.services["prefect-server"]
            assert service.child is not None
            try:
                self._wait_until("prefect-server", self._prefect_ready, SERVER_START_TIMEOUT)
                return
            except StartError:
                if self._stopping or attempt == PORT_ATTEMPTS or service.child.alive():
                    raise
            self._say(f"prefect-server could not start on port {self.prefect_port} "
                      "(in use?); trying another", err=True)
            self.prefect_port = free_port()
            self._spawn(service)
            self._write_state()

    def _prefect_ready(self) -> bool:
        service = self.services.get("prefect-server")
        if service is None or service.child is None or not service.child.alive():
            return False
        return (answers(f"{self._prefect_url()}/api/health")
                and service.child.owns_listener(self._port()))

    def _end_leftover_runs(self) -> int:
        """End as Crashed the runs a previous `up` on this data dir left in flight; how many.

        Its runner and their processes are gone (one `up` per data dir, and this Prefect
        server is its own), but Prefect still counts the runs as running, so they would hold
        their deployments' concurrency slots for good: no listener and no dispatch could start
        again. Called before this `up`'s runner starts, so none of its own runs is touched.
        """
        base = f"{self._prefect_url()}/api"
        leftover = {"flow_runs": {"state": {"type": {"any_": list(LEFTOVER_STATES)}}},
                    "limit": 200}
        ended = 0
        try:
            for _page in range(50):  # 10,000 runs at most; each page ends what it finds
                runs = _call_patiently("POST", f"{base}/flow_runs/filter", leftover)
                accepted = 0
                for run in runs:
                    answer = _call_patiently("POST", f"{base}/flow_runs/{run['id']}/set_state", {
                        "state": {"type": "CRASHED",
                                  "message": "left in flight when hubtable up last stopped"}})
                    accepted += answer.get("status") == "ACCEPT"
                ended += accepted
                if not accepted:  # none left, or none the server lets end: asking again is moot
                    break
        except (OSError, ValueError, KeyError) as exc:
            self._say(f"warning: could not end the flow runs the last hubtable up left "
                      f"running ({_reason(exc)}); the listener may not start", err=True)
        return ended

    def _start_listener(self, *, wait: bool) -> None:
        """Start a dispatch-listener run now rather than at its next scheduled time."""
        self._kick_listener = False
        base = f"{self._prefect_url()}/api"
        # At start-up nothing else waits; from the watch loop (after a restart) other children
        # may need tending, so it asks for a few seconds only.
        patience = _PATIENCE if wait else 5.0
        try:
            found = _call_patiently("GET", f"{base}/deployments/name/{LISTENER_DEPLOYMENT}",
                                    patience=patience)
            _call_patiently("POST", f"{base}/deployments/{found['id']}/create_flow_run",
                            {"tags": ["started-by-up"]}, patience=patience)
        except (OSError, ValueError, KeyError) as exc:
            self._say(f"warning: could not start the dispatch listener now ({_reason(exc)}); "
                      "its schedule will start it, and until then mail goes out every minute",
                      err=True)
            return
        since = datetime.now(UTC)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while wait and not self._stopping and time.monotonic() < deadline:
            if self._listener_started_since(since):
                return
            time.sleep(0.25)
        if wait and not self._stopping:
            self._say("warning: the dispatch listener has not started yet; until it does, "
                      "mail goes out every minute", err=True)

    def _listener_started_since(self, since: datetime) -> bool:
        """Has a listener run begun serving (it records its start once warmed up)?"""
        from workflow import flow_runs
        from workflow.runtime import Runtime

        runtime = Runtime(database_url=self.settings.database_url,
                          keystore_url=self.settings.keystore_url,
                          identity_key=self.settings.identity_key)
        try:
            with runtime.read() as session:
                return any(s.flow_name == "dispatch-listener" and s.last_started_at is not None
                           and s.last_started_at >= since for s in flow_runs.statuses(session))
        except Exception:  # not yet: the caller asks again
            return False
        finally:
            runtime.dispose()

    def _client_env(self) -> dict[str, str]:
        env = prefect_client_environment(self.settings, self._port())
        if self.sink_url is not None:
            env["HUBTABLE_SMTP_URL"] = self.sink_url
        return env

    # -- helpers -----------------------------------------------------------------------
    def _port(self) -> int:
        assert self.prefect_port is not None
        return self.prefect_port

    def _prefect_url(self) -> str:
        return f"http://127.0.0.1:{self._port()}"

    def _choose_prefect_port(self) -> int:
        if self.prefect_port is not None:
            if not port_is_free("127.0.0.1", self.prefect_port):
                raise StartError(f"port {self.prefect_port} for Prefect is in use")
            return self.prefect_port
        if port_is_free("127.0.0.1", PREFECT_DEFAULT_PORT):
            return PREFECT_DEFAULT_PORT
        return free_port()


#: A server just started answers "busy" (503: its SQLite database locked by the runner's
#: registrations, measured here; 429) or "not yet" (404) for a moment: asked again, it
#: answers. Each means nothing was done, so asking again cannot start the listener twice.
_AGAIN = (404, 429, 503)
#: The states of a run a runner has taken and not yet ended.
LEFTOVER_STATES = ("PENDING", "RUNNING", "CANCELLING")
_PATIENCE = 30.0


def _call_patiently(method: str, url: str, body: dict[str, object] | None = None, *,
                    patience: float = _PATIENCE) -> dict[str, object]:
    """`_call`, asked again with a growing pause while the server says busy or not yet, for
    `patience` seconds at most."""
    deadline, pause = time.monotonic() + patience, 0.25
    while True:
        try:
            return _call(method, url, body)
        except urllib.error.HTTPError as exc:
            if exc.code not in _AGAIN or time.monotonic() + pause > deadline:
                raise
        except urllib.error.URLError:
            if time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 4.0)


def _reason(exc: BaseException) -> str:
    """One short phrase: the HTTP status the server gave, else the kind of failure."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"the Prefect server answered {exc.code} {exc.reason}"
    return type(exc).__name__


def _call(method: str, url: str, body: dict[str, object] | None = None) -> dict[str, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,  # noqa: S310 (http only)
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read() or b"{}")  # type: ignore[no-any-return]
