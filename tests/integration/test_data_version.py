"""workflow.data_version: the token moves with every commit of any connection, and only then;
it survives the server dropping its connection (issue 17, the meeting page's cache)."""

from __future__ import annotations

import os

from sqlalchemy import create_engine, text

from workflow import directory
from workflow.data_version import DataVersion
from workflow.models import Base
from workflow.runtime import Runtime


def _read(runtime) -> None:
    with runtime.read() as s:
        s.execute(text("SELECT count(*) FROM situations"))


def test_the_token_moves_with_each_commit_of_anyone_and_only_then(runtime):
    version = DataVersion(runtime.engine)
    _read(runtime)  # (SQLite: a connection opening on the file may move it too: harmless)
    first = version.current()
    assert first is not None and version.current() == first  # nothing committed: the same
    _read(runtime)  # a read commits nothing
    assert version.current() == first
    other = Runtime(database_url=runtime.database_url, keystore_url=runtime.keystore_url,
                    identity_key=runtime.identity_key)
    try:
        with other.command() as s:  # another engine, as another process would be
            directory.create_table(s, code="DV1", name="Version table", country="CA")
    finally:
        other.dispose()
    second = version.current()
    assert second != first
    with runtime.command() as s:  # and this process's own engine
        directory.create_table(s, code="DV2", name="Version table 2", country="CA")
    assert version.current() not in (first, second)
    version.close()


def test_a_dropped_connection_is_replaced(runtime):
    version = DataVersion(runtime.engine)
    before = version.current()
    if runtime.engine.dialect.name == "postgresql":
        with runtime.engine.connect() as c:  # end every other session on this database
            c.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            c.commit()
    assert version.current() is not None
    assert before is not None
    version.close()


def _connections(runtime) -> int:
    """Open connections to this database: PostgreSQL's sessions, or SQLite's open files."""
    if runtime.engine.dialect.name == "postgresql":
        from sqlalchemy import create_engine

        counter = create_engine(runtime.database_url, isolation_level="AUTOCOMMIT")
        try:
            with counter.connect() as c:
                return int(c.execute(text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")
                ).scalar_one())
        finally:
            counter.dispose()
    path = os.path.realpath(runtime.engine.url.database)
    return sum(1 for fd in os.listdir("/proc/self/fd")
               if os.path.realpath(f"/proc/self/fd/{fd}") == path)


def test_its_connections_close_with_the_engine(runtime):
    """Runtime.dispose (the engine's pool) also ends the token's own connections."""
    runtime.engine.dispose()
    before = _connections(runtime)
    version = DataVersion(runtime.engine)
    assert version.current() is not None
    assert _connections(runtime) == before + 1
    runtime.engine.dispose()
    assert _connections(runtime) == before


def test_commits_to_another_database_of_the_server_leave_it(pg_runtime):
    """PostgreSQL: only this database's commits count (not Prefect's beside it)."""
    runtime = pg_runtime
    from support.databases import PG_ADMIN_URL

    version = DataVersion(runtime.engine)
    _read(runtime)
    first = version.current()
    elsewhere = create_engine(PG_ADMIN_URL)  # the server's maintenance database
    try:
        with elsewhere.begin() as c:
            c.execute(text("CREATE TEMP TABLE t_elsewhere (a int)"))
            c.execute(text("INSERT INTO t_elsewhere VALUES (1)"))
    finally:
        elsewhere.dispose()
    assert version.current() == first


def test_every_table_bumps_the_version(pg_runtime):
    """Each table of the schema carries the trigger, so no writer can forget the bump."""
    runtime = pg_runtime
    with runtime.read() as s:
        triggered = set(s.execute(text(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'hubtable_data_version'")).scalars())
    tables = {t.name for t in Base.metadata.sorted_tables} - {"data_versions"}
    assert tables and tables == triggered


def test_a_transaction_calls_the_bump_once_however_many_statements_it_runs(pg_runtime):
    """After the first bump, the triggers' own condition skips the call: a command's write of
    a dozen statements runs the PL/pgSQL function once, not once per statement (the server's
    count of this transaction's calls)."""
    runtime = pg_runtime
    version = DataVersion(runtime.engine)
    before = version.current()
    calls = text("SELECT pg_stat_get_xact_function_calls("
                 "'hubtable_bump_data_version'::regproc::oid)")
    with runtime.sessions() as s:
        s.execute(text("SET LOCAL track_functions = 'pl'"))
        for n in range(3):
            directory.create_table(s, code=f"B{n}", name=f"Bump {n}", country="CA")
            s.flush()
        s.execute(text("UPDATE tables SET name = name WHERE code = 'B0'"))
        assert s.execute(calls).scalar_one() == 1
        s.commit()
    assert version.current() != before


#: Tables created by migrations after 0014 (gone again when the test downgrades to it).
LATER_TABLES = ("situation_form_tokens",)


def test_the_migration_installs_the_triggers_and_removes_them(tmp_path):
    """An installation migrated by Alembic (not create_all) gets the same triggers."""
    import uuid

    from alembic import command
    from support.databases import PG_ADMIN_URL

    from workflow.setup import alembic_config

    name = f"hubtable_dv_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url)
    query = text("SELECT count(*) FROM pg_trigger WHERE tgname = 'hubtable_data_version'")
    conditional = text("SELECT count(*) FROM pg_trigger WHERE tgname = 'hubtable_data_version' "
                       "AND tgqual IS NOT NULL")
    try:
        cfg = alembic_config(url)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        everywhere = len(Base.metadata.sorted_tables) - 1
        with engine.connect() as conn:
            assert conn.execute(query).scalar_one() == everywhere
            assert conn.execute(conditional).scalar_one() == everywhere
        with engine.begin() as conn:  # 0015 undone: the triggers call the function every time
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0014_redundant_indexes")
        with engine.connect() as conn:  # every table of 0014 (0017's table went with 0017)
            then = len(Base.metadata.sorted_tables) - 1 - len(LATER_TABLES)
            assert conn.execute(query).scalar_one() == then
            assert conn.execute(conditional).scalar_one() == 0
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0008_rounds")
        with engine.connect() as conn:
            assert conn.execute(query).scalar_one() == 0
    finally:
        engine.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_concurrent_writers_never_wait_on_the_counter(pg_runtime):
    """Two open transactions that both wrote: the second's bump takes another row (no lock
    wait, so no deadlock), and both commits count."""
    runtime = pg_runtime
    version = DataVersion(runtime.engine)
    before = version.current()
    first, second = runtime.sessions(), runtime.sessions()
    try:
        second.execute(text("SET lock_timeout = '2s'"))  # a wait would fail the test
        directory.create_table(first, code="W1", name="Writer one", country="CA")
        first.flush()
        directory.create_table(second, code="W2", name="Writer two", country="CA")
        second.flush()
        second.commit()
        middle = version.current()
        first.commit()
    finally:
        first.close()
        second.close()
    after = version.current()
    assert len({before, middle, after}) == 3
