"""Wake the dispatcher as soon as a command has written outbox events.

Two halves, neither importing Prefect:
- `publisher(runtime)`: what the composition root hands to the web app as its after-commit
  hook. On PostgreSQL it sends `NOTIFY hubtable_outbox`; on SQLite it does nothing (the
  watcher's poll sees the new row within POLL_SECONDS).
- `Watcher`: what the long-running dispatch flow waits on. It polls the newest outbox id (the
  primary key's index: one cheap query) every POLL_SECONDS, and on PostgreSQL also LISTENs, so
  any writer wakes it (the web UI, the API, the CLI, the sweep) whether or not it published.
"""

from __future__ import annotations

import contextlib
import logging
import select
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from workflow import deliveries
from workflow.runtime import Runtime

CHANNEL = "hubtable_outbox"
POLL_SECONDS = 0.1
LISTEN_POLL_SECONDS = 0.25
log = logging.getLogger("hubtable.wakeup")


def _is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def publisher(runtime: Runtime) -> Callable[[], None]:
    """The after-commit hook: never raises (a lost wake-up costs at most one poll)."""
    if not _is_postgres(runtime.database_url):
        return lambda: None

    def publish() -> None:
        try:
            with runtime.engine.connect() as conn:
                conn.execute(text(f"NOTIFY {CHANNEL}"))
                conn.commit()
        except Exception as exc:  # the schedule and the poll still find the work
            log.warning("could not publish a dispatch wake-up (%s)", type(exc).__name__)

    return publish


class Watcher:
    """Waits until the outbox has a newer event than last time, or there is due work."""

    def __init__(self, runtime: Runtime, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.runtime, self.poll_seconds = runtime, poll_seconds
        self.seen = self._latest()
        self._listener: Any = self._listen() if _is_postgres(runtime.database_url) else None

    def _latest(self) -> int:
        with self.runtime.read() as session:
            return deliveries.latest_event_id(session)

    def _listen(self) -> Any:
        """A dedicated psycopg2 connection LISTENing on CHANNEL, or None (then: poll only).

        psycopg2 is the project's PostgreSQL driver: a fresh install has it, so LISTEN is
        never a silent fallback to polling."""
        try:
            import psycopg2
            import psycopg2.extensions

            url = make_url(self.runtime.database_url)
            conn = psycopg2.connect(
                host=url.host, port=url.port, user=url.username, password=url.password,
                dbname=url.database, **{str(k): v for k, v in url.query.items()})
            conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
            with conn.cursor() as cursor:
                cursor.execute(f"LISTEN {CHANNEL}")
            return conn
        except Exception as exc:  # poll only
            log.info("no LISTEN on PostgreSQL (%s); polling", type(exc).__name__)
            return None

    def _nap(self, seconds: float) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                if select.select([self._listener], [], [], seconds)[0]:
                    self._listener.poll()
                    self._listener.notifies.clear()
                return
        time.sleep(seconds)

    @property
    def listening(self) -> bool:
        """True when a NOTIFY can end a nap (PostgreSQL with a LISTEN connection)."""
        return self._listener is not None

    def wait(self, timeout: float) -> bool:
        """True as soon as a newer event exists; False when `timeout` passed without one."""
        deadline = time.monotonic() + timeout
        while True:
            latest = self._latest()
            if latest > self.seen:
                self.seen = latest
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            # LISTENing, a NOTIFY ends the nap at once: the poll is only the backstop
            nap = LISTEN_POLL_SECONDS if self._listener is not None else self.poll_seconds
            self._nap(min(nap, left))

    def work_waiting(self) -> bool:
        with self.runtime.read() as session:
            return deliveries.work_waiting(session)

    def close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                self._listener.close()
