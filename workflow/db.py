"""Engines, sessions and the one-transaction-per-command helper."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker


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
            # A deleted row (a destroyed identity key, a purged token) is overwritten, not
            # left in a free page: the default of some SQLite builds only.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    engine = create_engine(url, **kwargs)
    event.listen(engine, "handle_error", _without_row_detail)
    event.listen(engine, "checkout", _ping_if_idle)
    event.listen(engine, "checkin", _note_checkin)
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _generic_plans)
    return engine


def _generic_plans(dbapi_connection: Any, _record: Any) -> None:
    """The lean path's one read and one write are prepared once per connection
    (workflow.server_statements): plan them once too. PostgreSQL otherwise re-plans the
    first five runs and keeps re-planning while a custom plan looks cheaper (measured: 0.50
    -> 0.32 ms of server CPU per read). Only prepared statements and PL/pgSQL read the
    setting; committed, so it outlives the pool's rollbacks."""
    cursor = dbapi_connection.cursor()
    cursor.execute("SET plan_cache_mode = force_generic_plan")
    cursor.close()
    dbapi_connection.commit()


#: A pooled connection unused for longer than this is pinged before it is handed out.
IDLE_PING_SECONDS = 5.0


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """`pool_pre_ping`, but only after an idle spell: a busy worker's connection was proven a
    moment ago, and a round trip on every checkout was one in every twenty a command made. A
    connection the server dropped (a restart, an idle timeout) is replaced, as with pre-ping."""
    returned = record.info.get("checked_in_at")
    if returned is None or time.monotonic() - returned < IDLE_PING_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_connection.rollback()
    except Exception as exc:  # any failure: the pool retries with a fresh connection
        raise DisconnectionError(str(exc)) from exc


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info["checked_in_at"] = time.monotonic()


def _without_row_detail(context: Any) -> None:
    """PostgreSQL's DETAIL line repeats the failing row's values ("Failing row contains (...)"),
    which may be a summary or a note: keep only the primary message, so no error text (and no
    log line made from it) carries a row's content."""
    orig = context.original_exception
    text = str(orig)
    terse = without_row_detail(orig)
    wrapped = context.sqlalchemy_exception
    if terse != text and wrapped is not None and wrapped.args:
        wrapped.args = (str(wrapped.args[0]).replace(text, terse), *wrapped.args[1:])


def without_row_detail(error: BaseException) -> str:
    """Cut the DETAIL line (the failing row's values) out of a driver's error, in place; the
    terse message. Also for statements sent past SQLAlchemy (workflow.appends)."""
    text = str(error)
    if "\nDETAIL:" not in text:
        return text
    terse = text.split("\nDETAIL:", 1)[0]
    error.args = (terse,)
    return terse


def expire_held(session: Session, match: Callable[[object], bool],
                attributes: list[str] | None = None) -> None:
    """Expire what this session holds that `match` picks: rows a statement of the one write
    (workflow.appends) changes behind the ORM's back reload, as written, when next read."""
    for obj in list(session.identity_map.values()) if session.identity_map else ():
        if match(obj):
            session.expire(obj, attributes)


def connection_of(session: Session) -> Connection:
    """The session's connection in this transaction or savepoint, asked of the session once.

    Why: `Session.connection()` walks the session's transaction state on every call (about
    10 µs here), and a command's appended rows asked it about ten times. The answer is the
    same until a transaction or savepoint begins or ends, when it is forgotten
    (`_forget_connection`): asking the session inside a new savepoint is what sets it."""
    found: Connection | None = session.info.get(_CONNECTION)
    if found is None:
        found = session.info[_CONNECTION] = session.connection()
    return found


_CONNECTION = "hubtable.db.connection"


@event.listens_for(Session, "after_transaction_create")
@event.listens_for(Session, "after_transaction_end")
def _forget_connection(session: Session, _transaction: SessionTransaction) -> None:
    session.info.pop(_CONNECTION, None)


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
