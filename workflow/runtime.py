"""The core's wiring: the application database, the key store and the identity vault.

Adapters build one Runtime from their settings and pass its parts to the commands.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from workflow import db
from workflow.identity import IdentityVault, derive_master_key
from workflow.models import KeystoreBase


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
        KeystoreBase.metadata.create_all(self.keystore_engine)
        self.sessions = db.make_session_factory(self.engine)
        self.keystore = db.make_session_factory(self.keystore_engine)
        self.vault = IdentityVault(self.keystore, derive_master_key(self.identity_key))

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
