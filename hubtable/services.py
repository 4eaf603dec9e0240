"""A child `hubtable up` keeps running: how to start it, how it has fared, when to retry.

A child that dies is restarted with backoff (1, 2, 4 ... 30 s); one that ran for a minute
before dying starts its backoff afresh. Its state is what /healthz and `hubtable status` show
(through `up.json`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from hubtable.processes import Child

BACKOFF_SECONDS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
STABLE_AFTER_SECONDS = 60.0  # a child up this long starts its backoff afresh


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Service:
    """A child the supervisor keeps running: how to start it, and how it has fared."""

    name: str
    argv: Callable[[], list[str]]
    env: Callable[[], dict[str, str]]
    drop: tuple[str, ...] = ()
    fds: tuple[int, ...] = ()  # descriptors it inherits (the web UI's listening socket)
    child: Child | None = None
    restarts: int = 0
    failures: int = 0  # consecutive quick deaths: the backoff step
    started_at: float = 0.0
    restart_at: float | None = None
    last_exit: int | None = None
    last_restart: str | None = None
    def state(self) -> str:
        if self.child is not None and self.child.alive():
            return "running"
        return "restarting" if self.restart_at is not None else "stopped"

    def as_dict(self) -> dict[str, object]:
        return {"state": self.state(), "restarts": self.restarts, "last_exit": self.last_exit,
                "last_restart_at": self.last_restart,
                "pid": self.child.process.pid if self.child is not None else None}



    def died(self, now: float) -> float:
        """Note its death at `now`; the delay before it is started again."""
        quick = now - self.started_at < STABLE_AFTER_SECONDS
        self.failures = self.failures + 1 if quick else 1
        delay = BACKOFF_SECONDS[min(self.failures, len(BACKOFF_SECONDS)) - 1]
        self.restart_at = now + delay
        return delay
