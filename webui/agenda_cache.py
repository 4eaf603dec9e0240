"""The meeting page's agenda, rendered once and served again until the data changes.

Why: a hundred rows of agenda cost most of the page (their queries, and building and rendering
every row), yet they are the same for everyone allowed to see them. So only that part is kept:
the HTML of the page's heading (table, date, status, attendance counts) and of its body (the
"new situations" and "report-backs" tables, the table's other meetings). It holds no control
and no per-user part (no CSRF token, no form, no error, no flash): those are rendered around
it on every request, and every request still asks the core whether the reader chairs the
meeting before anything kept is looked at.

An entry is keyed by (meeting, language, data version). The data version (workflow.data_version)
changes whenever any transaction commits to the database, from any process, so a decision is
never shown stale; an entry also ends when the next open deadline of its rows passes (an
"overdue" mark appears with no commit). Each web process keeps its own small cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from markupsafe import Markup
from sqlalchemy.orm import Session

from workflow.data_version import DataVersion, next_overdue_at
from workflow.models import utcnow
from workflow.queries import AgendaView
from workflow.runtime import Runtime

ENTRIES = 64  # meetings x languages kept per process; an open meeting needs two
_KEY = "hubtable_agenda_cache"


@dataclass(frozen=True)
class Agenda:
    """The shared part of a meeting page: the HTML of its heading and of its body."""

    head: Markup
    body: Markup
    valid_until: datetime | None

    def fresh(self, now: datetime) -> bool:
        return self.valid_until is None or now < self.valid_until


class AgendaCache:
    def __init__(self, runtime: Runtime, entries: int = ENTRIES) -> None:
        self.version = DataVersion(runtime.engine)
        self._entries: OrderedDict[tuple[int, str, str], Agenda] = OrderedDict()
        self._size = entries
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def token(self, session: Session) -> str | None:
        """The data version now: ask before reading anything the page shows."""
        return self.version.current(session)

    def agenda(self, session: Session, token: str | None, meeting_id: int, language: str,
               build: Callable[[datetime], tuple[AgendaView, str, str]]) -> Agenda:
        """The kept agenda if still true, else `build(now)`'s (the view, its head's HTML and
        its body's), kept for the next reader."""
        now = utcnow()
        key = (meeting_id, language, token or "")
        if token is not None:
            with self._lock:
                found = self._entries.get(key)
                if found is not None and found.fresh(now):
                    self._entries.move_to_end(key)
                    self.hits += 1
                    return found
        view, head, body = build(now)
        made = Agenda(Markup(head), Markup(body),  # noqa: S704 (our own rendered templates)
                      next_overdue_at(session, (r.id for r in view.rows), now))
        with self._lock:
            self.misses += 1
            if token is not None:
                self._entries[key] = made
                self._entries.move_to_end(key)
                while len(self._entries) > self._size:
                    self._entries.popitem(last=False)
        return made


def agenda_cache(runtime: Runtime) -> AgendaCache:
    """The app's cache, made on first use (one per app, so one per web process)."""
    found: AgendaCache | None = current_app.extensions.get(_KEY)
    if found is None:
        found = current_app.extensions.setdefault(_KEY, AgendaCache(runtime))
    return found
