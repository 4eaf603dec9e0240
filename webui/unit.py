"""One request, one transaction: the acting user is loaded inside the command's session.

Views write `with unit() as (session, actor): ...`; the core's command runs, and the
transaction commits when the block ends (or rolls back on any error, domain errors included).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import abort, current_app
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from workflow.models import OutboxEvent, User
from workflow.runtime import Runtime


def runtime() -> Runtime:
    found: Runtime = current_app.extensions["hubtable_runtime"]
    return found


def _actor(session: Session) -> User:
    if not current_user.is_authenticated:
        abort(401)
    actor = session.get(User, current_user.id)
    if actor is None or not actor.active:
        abort(401)
    return actor


_WROTE_EVENTS = "hubtable_wrote_events"


def _note_events(session: Session, _context: object, _instances: object) -> None:
    """Remember that this transaction inserts outbox events (the objects may be gone by the
    end: the identity map holds them weakly)."""
    if any(isinstance(o, OutboxEvent) for o in session.new):
        session.info[_WROTE_EVENTS] = True


@contextmanager
def unit() -> Iterator[tuple[Session, User]]:
    """A command: one transaction; lost-update conflicts surface as ConcurrentEdit.

    When the command wrote outbox events, the app's after-commit hook runs once the commit is
    done (the composition root passes one that wakes the dispatcher; tests pass none).
    """
    with runtime().command() as session:
        watch_events(session)
        yield session, _actor(session)
        wrote = wrote_events(session)
    if wrote:
        run_after_commit()


def watch_events(session: Session) -> None:
    """Note from now on whether this transaction inserts outbox events."""
    event.listen(session, "before_flush", _note_events)


def wrote_events(session: Session) -> bool:
    """Did it (flushing what is pending)? Ask at the end of the transaction, before commit."""
    session.flush()
    return bool(session.info.pop(_WROTE_EVENTS, False))


def run_after_commit() -> None:
    """The app's after-commit hook (it wakes the dispatcher), if the app was given one."""
    after_commit = current_app.extensions.get("hubtable_after_commit")
    if after_commit is not None:
        after_commit()


@contextmanager
def reading() -> Iterator[tuple[Session, User]]:
    """A read (it still commits: identity reads and agenda preparation write audit rows)."""
    with runtime().read() as session:
        yield session, _actor(session)
