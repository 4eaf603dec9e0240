"""The web UI of `hubtable up`: one waitress process per core, all on one listening socket.

Why several processes: Python runs one thread at a time per process, so one waitress process
(however many threads) serves pages with one core. Why one socket made here: the supervisor
binds the port once and every web process inherits it, so the kernel hands each new
connection to whichever process accepts first; when one dies, the others go on accepting and
the port is never closed (connections wait in its backlog even while all are restarting), and
the restarted process simply inherits the same socket again. Each is a child of its own
(`web-1` ... `web-N`), restarted with backoff and shown in /healthz and `hubtable status`.

HUBTABLE_WEB_PROCESSES sets how many (default: the number of cores). Each process keeps its own
caches (the meeting page's agenda) and its own login rate limits.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping
from typing import Any

from hubtable.config import SettingsError
from hubtable.processes import answers

PROCESSES_VARIABLE = "HUBTABLE_WEB_PROCESSES"
MAX_PROCESSES = 64
WEB_START_TIMEOUT = 60.0
BACKLOG = 1024


def web_processes(env: Mapping[str, str] | None = None) -> int:
    """How many web processes: HUBTABLE_WEB_PROCESSES, else one per core."""
    raw = (os.environ if env is None else env).get(PROCESSES_VARIABLE, "").strip()
    if not raw:
        return max(1, os.cpu_count() or 1)
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PROCESSES:
        raise SettingsError(f"{PROCESSES_VARIABLE} must be a whole number from 1 to "
                            f"{MAX_PROCESSES}, not {raw!r}")
    return int(raw)


def listening_socket(host: str, port: int) -> socket.socket:
    """The web UI's socket, bound and listening, to be inherited by every web process."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


class WebChildren:
    """The web processes of the supervisor (mixed into Supervisor)."""

    host: str
    port: int
    services: dict[str, Any]
    sink_url: str | None
    web_socket: socket.socket | None = None

    def _start_web(self, count: int) -> None:
        """Bind the port, start `count` web processes, wait until each runs and the UI answers.
        """
        from hubtable.prefect_children import StartError

        try:
            self.web_socket = listening_socket(self.host, self.port)
        except OSError as exc:
            raise StartError(f"cannot listen on {self.host}:{self.port} for the web UI "
                             f"({exc.strerror or exc})") from None
        fd = self.web_socket.fileno()
        argv = [sys.executable, "-m", "hubtable.webserver", "--fd", str(fd)]
        for n in range(1, count + 1):
            self._add(f"web-{n}", lambda: list(argv), self._web_env,  # type: ignore[attr-defined]
                      drop=("PREFECT_API_URL",), fds=(fd,))
        probe = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        url = f"http://{'[' + probe + ']' if ':' in probe else probe}:{self.port}/healthz"
        for n in range(1, count + 1):
            self._wait_until(f"web-{n}", lambda: answers(url),  # type: ignore[attr-defined]
                             WEB_START_TIMEOUT)

    def _close_web_socket(self) -> None:
        if self.web_socket is not None:
            self.web_socket.close()
            self.web_socket = None

    def _web_env(self) -> dict[str, str]:
        return {"HUBTABLE_SMTP_URL": self.sink_url} if self.sink_url is not None else {}
