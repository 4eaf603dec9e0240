"""The key store: per-situation data keys, wrapped by the master key, in a database of its own.

Kept on separate metadata so it can never be created in (or backed up with) the application
database: destroying a key here destroys that identity in every backup of the other.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from workflow.models.base import UTCDateTime, utcnow


class KeystoreBase(DeclarativeBase):
    metadata = MetaData()
    type_annotation_map = {datetime: UTCDateTime()}


class SituationKey(KeystoreBase):
    __tablename__ = "situation_keys"
    situation_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    wrap_nonce: Mapped[bytes] = mapped_column(LargeBinary(16))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LinkageKey(KeystoreBase):
    """The secret that keys every linkage token (wrapped by the master key). Without this row,
    the tokens in the application database can be neither computed nor tested against."""

    __tablename__ = "linkage_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    wrap_nonce: Mapped[bytes] = mapped_column(LargeBinary(16))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
