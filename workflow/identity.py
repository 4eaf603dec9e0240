"""The identity vault: the only way in or out of a situation's limited identity.

Each situation's identity is sealed with its own random data key (AES-256-GCM); the data key
is wrapped by the master key and kept in a separate key store. Destroying the data key makes
every copy of the ciphertext (backups included) unreadable. Each read and write checks the
grant and leaves an audit entry; nothing else selects from `identity_records`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from workflow import audit, gatekeeper
from workflow.access import can_view_situation
from workflow.errors import DomainError, NotFound, PermissionDenied, ValidationError
from workflow.linkage import keys as linkage_keys
from workflow.linkage import tokens as linkage_tokens
from workflow.models import IdentityRecord, Situation, SituationKey, User, utcnow

OLDEST_AGE = 120  # years: a birth date further back is a typing mistake, never a person
NAME_LIMIT = 200
ADDRESS_LIMIT = 300


def earliest_birth_date(today: date | None = None) -> date:
    """The first birth date taken as plausible: OLDEST_AGE years before today."""
    today = today or date.today()
    if today.month == 2 and today.day == 29:
        today = today.replace(day=28)
    return today.replace(year=today.year - OLDEST_AGE)


def check_birth_date(born: date, field: str, *, today: date | None = None) -> date:
    """A birth date someone alive may have: not in the future, not more than OLDEST_AGE
    years ago (0001-01-01 or 1800-01-01 are typing mistakes that would still be sealed and
    matched as if they were true). Every entry of a birth date, at filter 1's check and at
    filter 3, asks this."""
    today = today or date.today()
    if born > today:
        raise ValidationError("birth date is in the future", field=field)
    if born < earliest_birth_date(today):
        raise ValidationError("a birth date more than %(years)s years ago cannot be right: "
                              "check the year", field=field, years=OLDEST_AGE)
    return born


@dataclass
class Person:
    name: str
    birth_date: str | None = None  # ISO date
    age: int | None = None
    address: str = ""
    phone: str = ""

    def validate(self, index: int) -> None:
        where = f"persons[{index}]"
        if not self.name.strip():
            raise ValidationError("a name is required for each person", field=f"{where}.name")
        if len(self.name) > NAME_LIMIT:
            raise ValidationError("a name is limited to %(limit)s characters",
                                  field=f"{where}.name", limit=NAME_LIMIT)
        if len(self.address) > ADDRESS_LIMIT:
            raise ValidationError("an address is limited to %(limit)s characters",
                                  field=f"{where}.address", limit=ADDRESS_LIMIT)
        if self.birth_date:
            try:
                born = date.fromisoformat(self.birth_date)
            except ValueError:
                raise ValidationError(
                    "birth date %(birth_date)r is not a date (use YYYY-MM-DD)",
                    field=f"{where}.birth_date", birth_date=self.birth_date,
                ) from None
            check_birth_date(born, f"{where}.birth_date")
        if self.age is not None and not 0 <= self.age <= OLDEST_AGE:
            raise ValidationError("age must be between 0 and 120", field=f"{where}.age")
        if len(self.phone) > 60 or not self.phone.isprintable():
            raise ValidationError("a phone number is up to 60 printable characters",
                                  field=f"{where}.phone")


@dataclass
class Identity:
    persons: list[Person] = field(default_factory=list)

    def validate(self) -> None:
        if not self.persons:
            raise ValidationError("identity needs at least one person", field="persons")
        for i, p in enumerate(self.persons):
            p.validate(i)

    def to_json(self) -> bytes:
        return json.dumps([asdict(p) for p in self.persons]).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Identity:
        return cls([Person(**p) for p in json.loads(raw)])


def derive_master_key(secret: str) -> bytes:
    """Accept a 32-byte base64 key, or derive one from any passphrase (dev convenience)."""
    try:
        raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
        if len(raw) == 32:
            return raw
    except (ValueError, TypeError):
        pass
    return hashlib.sha256(b"hubtable-identity-master:" + secret.encode()).digest()


class IdentityVault:
    def __init__(self, keystore: sessionmaker[Session], master_key: bytes) -> None:
        self._keystore = keystore
        self._kek = AESGCM(master_key)
        self._linkage: linkage_tokens.LinkageKeyRef | None = None

    def linkage_key(self) -> linkage_tokens.LinkageKeyRef:
        """The key-store secret that keys linkage tokens (see workflow/linkage/)."""
        if self._linkage is None:
            self._linkage = linkage_tokens.LinkageKeyRef(
                *linkage_keys.load_or_create(self._keystore, self._kek))
        return self._linkage

    # -- keys ---------------------------------------------------------------------------
    def _data_key(self, situation_id: int, *, create: bool) -> bytes | None:
        with self._keystore() as ks:
            row = ks.get(SituationKey, situation_id)
            if row is not None:
                return self._kek.decrypt(row.wrap_nonce, row.wrapped_key, _aad(situation_id))
            if not create:
                return None
            key = AESGCM.generate_key(bit_length=256)
            nonce = os.urandom(12)
            ks.add(
                SituationKey(
                    situation_id=situation_id,
                    wrap_nonce=nonce,
                    wrapped_key=self._kek.encrypt(nonce, key, _aad(situation_id)),
                )
            )
            ks.commit()  # the key lands first: an orphan key is harmless, lost data is not
            return key

    def destroy_key(self, situation_id: int) -> bool:
        with self._keystore() as ks:
            row = ks.get(SituationKey, situation_id)
            if row is None:
                return False
            ks.delete(row)
            ks.commit()
            _scrub_log(ks)
            return True

    def has_key(self, situation_id: int) -> bool:
        with self._keystore() as ks:
            return ks.get(SituationKey, situation_id) is not None

    # -- commands -----------------------------------------------------------------------
    def record(self, session: Session, actor: User, situation: Situation,
               identity: Identity, *, now: datetime | None = None) -> None:
        """Filter 3: enter (or correct) the limited identity of an accepted situation.

        A refusal (the gate, or an identity that does not validate) raises before anything but
        the refusal's audit entry is written to `session`, so a caller may commit after it."""
        try:
            gatekeeper.require(session, actor, "record_identity", situation)
        except DomainError as exc:
            audit.record(session, "identity.write_refused", actor=actor,
                         situation_id=situation.id, detail={"reason": type(exc).__name__},
                         now=now)
            raise
        identity.validate()
        key = self._data_key(situation.id, create=True)
        assert key is not None
        nonce = os.urandom(12)
        sealed = AESGCM(key).encrypt(nonce, identity.to_json(), _aad(situation.id))
        row = session.get(IdentityRecord, situation.id)
        if row is None:
            session.add(IdentityRecord(situation_id=situation.id, nonce=nonce, ciphertext=sealed))
        else:
            row.nonce, row.ciphertext = nonce, sealed
        key_ref = self.linkage_key()  # "seen before?" tokens, never the identity itself
        linkage_tokens.replace_tokens(session, key_ref, situation, "identity",
                                      linkage_tokens.encode_persons(
                                          key_ref, [(p.name, p.birth_date)
                                                    for p in identity.persons]))
        audit.record(session, "identity.write", actor=actor, situation_id=situation.id,
                     detail={"persons": len(identity.persons)}, now=now)

    def read(self, session: Session, actor: User, situation: Situation,
             *, now: datetime | None = None) -> Identity | None:
        """Decrypt for a confirmed user of a granted agency, and say so in the audit log."""
        try:
            gatekeeper.require(session, actor, "read_identity", situation)
        except DomainError as exc:
            audit.record(session, "identity.read_refused", actor=actor,
                         situation_id=situation.id, detail={"reason": type(exc).__name__},
                         now=now)
            raise PermissionDenied(
                "your agency has not been granted this situation's identity") from None
        row = session.get(IdentityRecord, situation.id)
        audit.record(session, "identity.read", actor=actor, situation_id=situation.id,
                     detail={"found": row is not None}, now=now)
        if row is None:
            return None
        key = self._data_key(situation.id, create=False)
        if key is None:
            return None
        try:
            return Identity.from_json(AESGCM(key).decrypt(row.nonce, row.ciphertext,
                                                          _aad(situation.id)))
        except InvalidTag:
            raise DomainError("the stored identity failed its integrity check") from None

    def open(self, session: Session, actor: User, situation_id: int,
             *, now: datetime | None = None) -> tuple[Situation, Identity | None]:
        """Read by id, auditing every refusal, even of a situation the actor may not see
        (on the system chain then, so a probe of unknown ids leaves a trace too)."""
        situation = session.get(Situation, situation_id)
        if situation is None or not can_view_situation(session, actor, situation):
            audit.record(session, "identity.read_refused", actor=actor, now=now,
                         detail={"situation_id": situation_id, "reason": "NotFound"})
            raise NotFound(f"no situation {situation_id} that you may see")
        return situation, self.read(session, actor, situation, now=now)

    def exists(self, session: Session, situation_id: int) -> bool:
        return session.scalar(
            select(IdentityRecord.situation_id).where(IdentityRecord.situation_id == situation_id)
        ) is not None

    def purge(self, session: Session, situation: Situation, *, reason: str,
              actor: User | None = None, now: datetime | None = None) -> bool:
        """Destroy key then ciphertext, and the linkage tokens with them (DOMAIN.md: they die
        with the identity, also when a withdrawal destroys it at once); keep the de-identified
        record and an audit entry."""
        had_key = self.destroy_key(situation.id)
        row = session.get(IdentityRecord, situation.id)
        if row is not None:
            session.delete(row)
        if had_key or row is not None:
            linkage_tokens.forget(session, situation.id)
            situation.identity_purged_at = now or utcnow()
            audit.record(session, "identity.purge", actor=actor, situation_id=situation.id,
                         detail={"reason": reason}, now=now)
            return True
        return False


def _scrub_log(ks: Session) -> None:
    """A SQLite key store keeps the page the key was on in its write-ahead log after the
    delete (and after a checkpoint, until a later write happens to overwrite it): a copy of
    the data directory would still open the identity. Truncate the log once it is copied
    back (the deleted cell itself is zeroed: secure_delete, workflow.db)."""
    if ks.get_bind().dialect.name == "sqlite":
        ks.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def _aad(situation_id: int) -> bytes:
    """Bind each ciphertext to its situation: a row copied to another id will not decrypt."""
    return f"hubtable:situation:{situation_id}".encode()
