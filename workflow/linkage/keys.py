"""The linkage key: one secret in the key store, wrapped by the master key like the data keys.

It never enters the application database; a copy of that database alone cannot compute a
token for a guessed name and birth date, so it cannot test guesses against the stored ones.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from workflow.models import LinkageKey

KEY_ID = 1


def _aad(key_id: int) -> bytes:
    return f"hubtable:linkage-key:{key_id}".encode()


def load_or_create(keystore: sessionmaker[Session], kek: AESGCM) -> tuple[int, bytes]:
    """(key id, key): made on first use; two processes racing settle on the one stored."""
    with keystore() as ks:
        row = ks.get(LinkageKey, KEY_ID)
        if row is not None:
            return KEY_ID, kek.decrypt(row.wrap_nonce, row.wrapped_key, _aad(KEY_ID))
        key = os.urandom(32)
        nonce = os.urandom(12)
        ks.add(LinkageKey(id=KEY_ID, wrap_nonce=nonce,
                          wrapped_key=kek.encrypt(nonce, key, _aad(KEY_ID))))
        try:
            ks.commit()
        except IntegrityError:
            ks.rollback()
            return load_or_create(keystore, kek)
        return KEY_ID, key
