"""One request, one transaction: the acting user is loaded inside the command's session.

Views write `with unit() as (session, actor): ...`; the core's command runs, and the
transaction commits when the block ends (or rolls back on any error, domain errors included).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import abort, current_app
from flask_login import current_user
from sqlalchemy.orm import Session

from orchestration.trigger import request_dispatch
from workflow.models import OutboxEvent, User
from workflow.runtime import Runtime


def runtime() -> Runtime:
    return current_app.extensions["hubtable_runtime"]  # type: ignore[no-any-return]


def _actor(session: Session) -> User:
    if not current_user.is_authenticated:
        abort(401)
    actor = session.get(User, current_user.id)
    if actor is None or not actor.active:
        abort(401)
    return actor


@contextmanager
def unit() -> Iterator[tuple[Session, User]]:
    """A command: one transaction; lost-update conflicts surface as ConcurrentEdit.

    When the command wrote outbox events, the dispatch flow is asked to run now (after the
    commit, in the background: the request never waits on it).
    """
    with runtime().command() as session:
        yield session, _actor(session)
        session.flush()
        wrote_events = any(isinstance(o, OutboxEvent) for o in session.identity_map.values())
    if wrote_events:
        request_dispatch()


@contextmanager
def reading() -> Iterator[tuple[Session, User]]:
    """A read (it still commits: identity reads and agenda preparation write audit rows)."""
    with runtime().read() as session:
        yield session, _actor(session)
