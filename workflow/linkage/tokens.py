"""Writing and forgetting a situation's linkage tokens (one row per person, never identity)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workflow.linkage import clk
from workflow.linkage.normalize import parse_birth_date, spellings
from workflow.models import LinkageToken, Situation


@dataclass(frozen=True)
class LinkageKeyRef:
    """The key as the vault hands it out: its id (stored with each token) and its bytes."""

    key_id: int
    key: bytes


def encode_persons(key: LinkageKeyRef, persons: Iterable[tuple[str, str | date | None]]
                   ) -> list[tuple[int, clk.Encoding]]:
    """(person, encoding) for each person named, one encoding per spelling of the name
    (normalize.spellings: a hyphenated name also written as one part)."""
    return [(person, clk.encode(key.key, spelling, parse_birth_date(born)))
            for person, (name, born) in enumerate(persons) if name.strip()
            for spelling in spellings(name)]


def replace_tokens(session: Session, key: LinkageKeyRef, situation: Situation, source: str,
                   encodings: list[tuple[int, clk.Encoding]]) -> int:
    """Store these encodings as the situation's tokens from `source` (the earlier ones from
    the same source go: a corrected identity replaces the first one); how many persons."""
    session.execute(delete(LinkageToken).where(LinkageToken.situation_id == situation.id,
                                               LinkageToken.source == source))
    for person, enc in encodings:
        session.add(LinkageToken(situation_id=situation.id, table_id=situation.table_id,
                                 person=person, source=source, clk=enc.to_bytes(),
                                 block_1=enc.blocks[0], block_2=enc.blocks[1],
                                 key_id=key.key_id))
    session.flush()
    return len({person for person, _ in encodings})


def forget(session: Session, situation_id: int) -> int:
    """Delete every token of a situation (at purge); how many this deleted. Always a DELETE,
    even of nothing: on SQLite it takes the write lock, so a second purger of the same
    situation waits for the first and then deletes (and counts) nothing."""
    result = session.execute(delete(LinkageToken)
                             .where(LinkageToken.situation_id == situation_id))
    return int(getattr(result, "rowcount", 0) or 0)


def has_tokens(session: Session, situation_id: int) -> bool:
    return session.scalar(select(LinkageToken.id)
                          .where(LinkageToken.situation_id == situation_id).limit(1)) is not None
