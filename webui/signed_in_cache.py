"""Who a session cookie names, kept per process until anything commits.

Why: Flask-Login asks on every request who is signed in, and the answer cost a query (a pooled
connection checked out and pinged, the user read, the transaction ended): a third of the
meeting page's time (issue 17). The answer (an active user whose password stamp and session
generation match the cookie's) depends only on committed rows, so the one found at a data
version (workflow.data_version) holds until anything commits: a sign-out elsewhere, a password
change or a deactivation commits, gives a new version, and is seen on the very next request,
as before. The version is read before the user, so what is kept is at least that new. Without a
version (an in-memory SQLite database) nothing is kept and every request asks the database.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from workflow.data_version import DataVersion

ENTRIES = 4096  # cookies (users x their browsers) kept per web process
T = TypeVar("T")


class SignedInCache(Generic[T]):
    """Answers per cookie id, each with the data version it was read at."""

    def __init__(self, version: DataVersion, entries: int = ENTRIES) -> None:
        self.version = version
        self._kept: OrderedDict[str, tuple[str, T | None]] = OrderedDict()
        self._size = entries
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def load(self, token: str | None, cookie_id: str, read: Callable[[], T | None]) -> T | None:
        """The kept answer for this cookie id if nothing has committed since it was read, else
        `read()`, kept. `token` is the data version, taken before anything is read."""
        if token is None:
            return read()
        with self._lock:
            found = self._kept.get(cookie_id)
            if found is not None and found[0] == token:
                self._kept.move_to_end(cookie_id)
                self.hits += 1
                return found[1]
        answer = read()
        with self._lock:
            self.misses += 1
            self._kept[cookie_id] = (token, answer)
            self._kept.move_to_end(cookie_id)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return answer
