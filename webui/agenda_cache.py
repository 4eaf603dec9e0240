"""The meeting page's agenda, rendered once and served again until the data changes.

Why: a hundred rows of agenda cost most of the page (their queries, and building and rendering
every row), yet they are the same for everyone allowed to see them. So that part is kept: the
HTML of the page's heading (table, date, status, attendance counts) and of its body (the "new
situations" and "report-backs" tables, the table's other meetings), with the meeting's state
that the controls need. It holds no control and no per-user part (no CSRF token, no form, no
error, no flash): those are rendered around it on every request.

An entry is keyed by (meeting, language, data version). The data version (workflow.data_version)
changes whenever any transaction commits to the database, from any process, so a decision is
never shown stale; an entry also ends when the next open deadline of its rows passes (an
"overdue" mark appears with no commit). Who may read it: the entry lists the users the core has
found to chair the meeting *at that data version*. Whether a user chairs a meeting depends only
on committed rows (role, scope, the meeting's table), so within one version the answer cannot
change; any commit (a role taken away, a user deactivated) gives a new version, where each
reader is asked again. Whoever is not listed goes through the core's check (and the 403 it
gives). Each web process keeps its own small cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from markupsafe import Markup
from sqlalchemy.orm import Session

from workflow.data_version import data_version, next_overdue_at
from workflow.models import Meeting
from workflow.queries import AgendaView
from workflow.runtime import Runtime

ENTRIES = 64  # meetings x languages kept per process; an open meeting needs one per language
_KEY = "hubtable_agenda_cache"


@dataclass(frozen=True)
class MeetingState:
    """What the page's controls need of the meeting (plain values, no database object)."""

    id: int
    status: str
    closed_at: datetime | None

    @classmethod
    def of(cls, meeting: Meeting) -> MeetingState:
        return cls(meeting.id, meeting.status, meeting.closed_at)


@dataclass
class Agenda:
    """The shared part of a meeting page: the HTML of its heading and of its body."""

    meeting: MeetingState
    head: Markup
    body: Markup
    valid_until: datetime | None
    readers: set[int] = field(default_factory=set)  # users found to chair it, this version
    #: Whole pages drawn around it, per reader's language, type size, name and role and path
    #: (webui.layout.kept_page): they end with it.
    pages: dict[tuple[Hashable, ...], Markup] = field(default_factory=dict)

    def fresh(self, now: datetime) -> bool:
        return self.valid_until is None or now < self.valid_until


class AgendaCache:
    def __init__(self, runtime: Runtime, entries: int = ENTRIES) -> None:
        self.version = data_version(runtime.engine)
        self._entries: OrderedDict[tuple[int, str, str], Agenda] = OrderedDict()
        self._size = entries
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def token(self) -> str | None:
        """The data version now: ask before reading anything the page shows."""
        return self.version.current()

    def kept(self, token: str | None, meeting_id: int, language: str, user_id: int,
             now: datetime) -> Agenda | None:
        """The kept agenda, if still true and this user was found to chair it at `token`."""
        if token is None:
            return None
        with self._lock:
            found = self._entries.get((meeting_id, language, token))
            if found is None or not found.fresh(now) or user_id not in found.readers:
                return None
            self._entries.move_to_end((meeting_id, language, token))
            self.hits += 1
            return found

    def admit(self, token: str | None, meeting_id: int, language: str, user_id: int,
              now: datetime) -> Agenda | None:
        """After the core said this user chairs the meeting (read after `token`): the kept
        agenda, now listing the user, or None when there is none to serve."""
        if token is None:
            return None
        with self._lock:
            found = self._entries.get((meeting_id, language, token))
            if found is None or not found.fresh(now):
                return None
            found.readers.add(user_id)
            self.hits += 1
            return found

    def keep(self, session: Session, token: str | None, language: str, user_id: int,
             view: AgendaView, head: str, body: str, now: datetime) -> Agenda:
        """Keep what was just rendered for `user_id` (whom the core found to chair it)."""
        made = Agenda(MeetingState.of(view.meeting),
                      Markup(head), Markup(body),  # noqa: S704 (our own rendered templates)
                      next_overdue_at(session, (r.id for r in view.rows), now), {user_id})
        with self._lock:
            self.misses += 1
            if token is not None:
                key = (view.meeting.id, language, token)
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
