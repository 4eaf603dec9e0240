"""The core's wiring: the application database, the key store and the identity vault.

Adapters build one Runtime from their settings and pass its parts to the commands.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from workflow import db
from workflow.identity import IdentityVault, derive_master_key
from workflow.models import IdentityRecord, KeystoreBase, SituationKey


class KeystoreMissing(Exception):
    """The key store holds no key while the application database holds sealed identities: a
    new, empty one would make every one of them unreadable, so none is made."""

    def __init__(self, keystore_url: str) -> None:
        self.keystore_url = keystore_url
        parsed = make_url(keystore_url)
        self.where = (parsed.database if parsed.get_backend_name() == "sqlite" and parsed.database
                      else parsed.render_as_string(hide_password=True))
        super().__init__(f"the key store at {self.where} holds no key, but the database "
                         "holds sealed identities")


def _sqlite_file_missing(url: str) -> bool:
    """A SQLite URL whose file does not exist (connecting would create it, empty)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return False
    name = parsed.database
    if parsed.query.get("uri") == "true" and name.startswith("file:"):
        name = name[len("file:"):].split("?", 1)[0]
    return not Path(name).exists()


def _has_row(engine: Engine, table: str, column: InstrumentedAttribute[int]) -> bool:
    if not inspect(engine).has_table(table):
        return False
    with engine.connect() as connection:
        return connection.execute(select(column).limit(1)).first() is not None


def holds_sealed_identities(database_url: str) -> bool:
    """Whether the application database at `database_url` holds any sealed identity (without
    creating a SQLite file that is not there)."""
    if _sqlite_file_missing(database_url):
        return False
    engine = db.make_engine(database_url)
    try:
        return _has_row(engine, IdentityRecord.__tablename__, IdentityRecord.situation_id)
    finally:
        engine.dispose()


@dataclass
class Runtime:
    database_url: str
    keystore_url: str
    identity_key: str
    engine: Engine = field(init=False)
    keystore_engine: Engine = field(init=False)
    sessions: sessionmaker[Session] = field(init=False)
    keystore: sessionmaker[Session] = field(init=False)
    vault: IdentityVault = field(init=False)

    def __post_init__(self) -> None:
        self.engine = db.make_engine(self.database_url)
        self.keystore_engine = db.make_engine(self.keystore_url)
        self._require_keystore()
        KeystoreBase.metadata.create_all(self.keystore_engine)
        self.sessions = db.make_session_factory(self.engine)
        self.keystore = db.make_session_factory(self.keystore_engine)
        self.vault = IdentityVault(self.keystore, derive_master_key(self.identity_key))

    def _require_keystore(self) -> None:
        """A key store is made only while no identity is sealed without it (KeystoreMissing)."""
        try:
            if not _sqlite_file_missing(self.keystore_url) and _has_row(
                    self.keystore_engine, SituationKey.__tablename__, SituationKey.situation_id):
                return
            sealed = not _sqlite_file_missing(self.database_url) and _has_row(
                self.engine, IdentityRecord.__tablename__, IdentityRecord.situation_id)
        except DBAPIError:
            # A database that does not answer yet (a health page must still start): nothing
            # sealed is known of. An empty key store made meanwhile holds no key, so the
            # next start asks again.
            return
        if sealed:
            self.dispose()
            raise KeystoreMissing(self.keystore_url)

    @contextmanager
    def command(self) -> Iterator[Session]:
        """One command, one transaction (conflicts become ConcurrentEdit)."""
        with db.command(self.sessions) as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read; identity reads still write their audit entry, so this commits too."""
        with db.transaction(self.sessions) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        self.keystore_engine.dispose()
