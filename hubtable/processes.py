"""Child processes of `hubtable up`: spawning in their own groups, ports, and finding them all.

Each child runs in a process group of its own (one signal reaches everything it started) and
dies with the supervisor (PR_SET_PDEATHSIG). Every process carries the run's token in its
environment, so that none survives `up`, not even a flow run in a session of its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import signal
import socket
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path

TOKEN_VARIABLE = "HUBTABLE_UP_TOKEN"
_PR_SET_PDEATHSIG = 1


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def bind_problem(host: str, port: int) -> str | None:
    """Why the web UI could not listen on `host`:`port` ("in use", an unknown host, an address
    not of this machine, a privileged port), or None when it could."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return "in use"
            return exc.strerror or type(exc).__name__
    return None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> None:
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

    def owns_listener(self, port: int) -> bool:
        """Is the process listening on 127.0.0.1:`port` one of this child's group?

        Two installations started at once may both pick a port; the one whose server lost the
        bind must not talk to the other's server, which answers on that port just as well.
        """
        inodes = _listening_inodes(port)
        if not inodes:
            return False
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.getpgid(int(entry.name)) != self.process.pid:
                    continue
                for fd in (entry / "fd").iterdir():
                    link = os.readlink(fd)
                    if link.startswith("socket:[") and link[8:-1] in inodes:
                        return True
            except OSError:
                continue
        return False

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _listening_inodes(port: int) -> set[str]:
    """Socket inodes in LISTEN state on this TCP port (IPv4 and IPv6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) > 9 and parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                found.add(parts[9])
    return found


def processes_with_token(token: str) -> list[int]:
    """Every process whose environment carries this run's token (children's children too)."""
    return processes_with_environment(TOKEN_VARIABLE, token)


def processes_with_environment(variable: str, value: str) -> list[int]:
    """Every live process (not this one) whose environment sets `variable` to `value`; a
    zombie's environment reads empty, so exited children are not counted."""
    needle = f"{variable}={value}".encode()
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


def answers(url: str) -> bool:
    """True once the URL answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


def listens(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0
