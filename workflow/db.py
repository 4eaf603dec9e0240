"""Engines, sessions and the one-transaction-per-command helper."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, **kwargs: object) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout so it behaves.

    Statement parameters are never put into error messages (`hide_parameters`): they may hold
    a situation's summary or notes, and errors end up in logs.
    """
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "handle_error", _without_row_detail)
    return engine


def _without_row_detail(context: Any) -> None:
    """PostgreSQL's DETAIL line repeats the failing row's values ("Failing row contains (...)"),
    which may be a summary or a note: keep only the primary message, so no error text (and no
    log line made from it) carries a row's content."""
    orig = context.original_exception
    text = str(orig)
    if "\nDETAIL:" not in text:
        return
    terse = text.split("\nDETAIL:", 1)[0]
    orig.args = (terse,)
    wrapped = context.sqlalchemy_exception
    if wrapped is not None and wrapped.args:
        wrapped.args = (str(wrapped.args[0]).replace(text, terse), *wrapped.args[1:])


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@contextmanager
def command(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction whose lost-update conflicts surface as the domain's ConcurrentEdit."""
    from sqlalchemy.orm.exc import StaleDataError

    from workflow.errors import ConcurrentEdit

    try:
        with transaction(factory) as session:
            yield session
    except StaleDataError:
        raise ConcurrentEdit(
            "this situation was changed by someone else at the same time; reload and try again"
        ) from None


class QueryTimeout(Exception):
    """A read ran past its statement timeout and was cancelled by the database."""


@contextmanager
def statement_timeout(session: Session, seconds: float) -> Iterator[None]:
    """Cancel any statement of this block that runs longer than `seconds`.

    PostgreSQL: `SET LOCAL statement_timeout` (ends with the transaction). SQLite has no such
    setting: a progress handler aborts the running statement once the deadline has passed.
    Either way the block raises QueryTimeout, which the caller turns into a clear message.
    """
    import time

    from sqlalchemy.exc import OperationalError

    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(seconds * 1000)}")
        try:
            yield
        except OperationalError as exc:
            if "statement timeout" in str(exc.orig):
                raise QueryTimeout() from None
            raise
        return
    raw = connection.connection.dbapi_connection
    deadline = time.monotonic() + seconds
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)  # type: ignore[union-attr]
    try:
        yield
    except OperationalError as exc:
        if "interrupted" in str(exc.orig):
            raise QueryTimeout() from None
        raise
    finally:
        raw.set_progress_handler(None, 0)  # type: ignore[union-attr]
