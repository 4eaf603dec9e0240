"""Shared fixtures: every database test runs on SQLite AND on the local PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool
from support.databases import PG_ADMIN_URL
from support.notify import MailBox, free_port

from workflow.models import Base
from workflow.models.versions import TABLE as VERSIONS
from workflow.runtime import Runtime

BACKENDS = [b for b in os.environ.get("HUBTABLE_TEST_BACKENDS", "sqlite,postgresql").split(",")
            if b]


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session, schema created once."""
    name = f"hubtable_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(url: str) -> None:
    """Empty the database as a fresh schema is: every table empty, every id from 1.

    Why not TRUNCATE: each truncated table and index gets new files, fsynced at commit, about
    0.2 s per test for the tables of one test's world. A test writes a few dozen rows in a
    dozen tables: one statement finds those tables, their rows are deleted (children first),
    and the sequences that moved start again from 1. Should a delete ever meet a row that
    refers back (a cycle), every table is truncated as before."""
    # No pool: a test may end this database's connections (pg_terminate_backend).
    engine = _ENGINES.get(url) or _ENGINES.setdefault(url, create_engine(url, poolclass=NullPool))
    try:
        with engine.begin() as conn:
            written = set(conn.scalars(text(_PROBES)))
            for name in sorted(written, key=_DELETE_ORDER.index):
                conn.execute(text(f'DELETE FROM "{name}"'))
            conn.execute(text(  # the sequences that moved, even where the rows were deleted
                "SELECT setval(format('%I.%I', schemaname, sequencename), 1, false) "
                "FROM pg_sequences "
                "WHERE schemaname = current_schema() AND last_value IS NOT NULL"))
    except IntegrityError:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


_ENGINES: dict[str, Engine] = {}
_PROBES = " UNION ALL ".join(f"""SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM "{t.name}")"""
                             for t in Base.metadata.sorted_tables)
#: Referrers before what they refer to; the commit counter last (each delete bumps it).
_DELETE_ORDER = sorted((t.name for t in reversed(Base.metadata.sorted_tables)),
                       key=lambda name: name == VERSIONS)


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database with the schema, made once per test process: each test gets
    a copy of the file (a fraction of a millisecond, where create_all took about 0.1 s)."""
    path = tmp_path_factory.mktemp("schema") / "hubtable.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A fresh, empty application database with the schema, on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "hubtable.db"
        shutil.copyfile(request.getfixturevalue("sqlite_schema"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    _truncate_all(url)
    return url


@pytest.fixture
def runtime(database_url: str, tmp_path) -> Iterator[Runtime]:
    rt = Runtime(database_url=database_url,
                 keystore_url=f"sqlite:///{tmp_path / 'keystore.db'}",
                 identity_key="test-master-key")
    yield rt
    rt.dispose()


@pytest.fixture
def pg_runtime(pg_database: str, tmp_path) -> Iterator[Runtime]:
    """A Runtime on PostgreSQL only, emptied: for what only PostgreSQL has (its triggers, its
    concurrency), so such tests run there rather than skip on SQLite."""
    _truncate_all(pg_database)
    rt = Runtime(database_url=pg_database,
                 keystore_url=f"sqlite:///{tmp_path / 'keystore.db'}",
                 identity_key="test-master-key")
    yield rt
    rt.dispose()


@pytest.fixture
def world(runtime: Runtime):
    """A small community: one Ontario table, agencies of several sectors, users of each role."""
    from support.factories import build_world

    return build_world(runtime)


@pytest.fixture
def plain_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, named the way an operator writes it."""
    name = f"hubtable_ops_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def smtp_server() -> Iterator[MailBox]:
    """A real SMTP server (aiosmtpd) on a free local port, keeping what it receives."""
    box = MailBox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()
