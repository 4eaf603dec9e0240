"""Cryptographic long-term keys (CLK): keyed Bloom-filter encodings compared by Dice similarity,
and the token they open (a CLK, then the structured encoding of parts.py).

The CLK came first and stays at the head of every token, so that tokens stored before the
structured encoding existed (exactly 128 bytes) are still compared with newer ones, by
`score` and match.LEGACY_THRESHOLD; two tokens that both carry the structured part are
compared by evidence.py instead, which tells a sibling from a re-typed name.

Each feature (a name bigram, a birth-date part) is hashed with HMAC-SHA256 under the linkage
key into `k` positions of a 1024-bit filter by double hashing (h1 + i*h2). Similar identities
set mostly the same bits; without the key, a guessed name cannot be turned into bits to compare.
Written here rather than taken from clkhash/anonlink: see workflow/linkage/__init__.py.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

from workflow.linkage import parts
from workflow.linkage.normalize import block_inputs, features

BITS = 1024
NAME_BITS = 768  # names set bits in [0, 768), the birth date in [768, 1024)
NAME_K = 6  # positions per name bigram
COMMON_K = 2  # positions per bigram of a very common name part
DATE_K = 4  # positions per birth-date feature (sparse: unrelated dates share ~no bits)
NAME_WEIGHT = 0.6  # the score: 0.6 x Dice of the name bits + 0.4 x Dice of the date bits
DATE_FLOOR = 0.7  # below this the birth dates are not the same (nor day and month transposed)
YEAR_TYPO_FLOOR = 0.35  # day and month agree but the year does not (a mistyped year)
YEAR_TYPO_NAMES = 0.95  # ... which counts only when the names agree this closely
BLOCK_CHARS = 16
NAME_MASK = (1 << NAME_BITS) - 1
DATE_MASK = ((1 << BITS) - 1) ^ NAME_MASK


@dataclass(frozen=True)
class Encoding:
    clk: int
    blocks: tuple[str, str]
    structured: bytes = b""  # parts.encode(); empty in a token of the first format

    def to_bytes(self) -> bytes:
        return self.clk.to_bytes(BITS // 8, "big") + self.structured


def _positions(key: bytes, feature: str, k: int, start: int, size: int) -> list[int]:
    digest = hmac.new(key, feature.encode(), hashlib.sha256).digest()
    h1 = int.from_bytes(digest[:16], "big")
    h2 = int.from_bytes(digest[16:], "big") | 1
    return [start + (h1 + i * h2) % size for i in range(k)]


def block_key(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:BLOCK_CHARS]


def encode(key: bytes, name: str, birth_date: date | None) -> Encoding:
    names, dates = features(name, birth_date)
    bits = 0
    for feature, common in names:
        for pos in _positions(key, feature, COMMON_K if common else NAME_K, 0, NAME_BITS):
            bits |= 1 << pos
    for feature, weight in dates:
        for pos in _positions(key, feature, DATE_K * weight, NAME_BITS, BITS - NAME_BITS):
            bits |= 1 << pos
    b1, b2 = block_inputs(name, birth_date)
    return Encoding(bits, (block_key(key, b1), block_key(key, b2)),
                    parts.encode(key, name, birth_date))


def from_bytes(raw: bytes) -> int:
    """The CLK at the head of a stored token."""
    return int.from_bytes(raw[:BITS // 8], "big")


def structured(raw: bytes) -> bytes:
    """The structured part of a stored token (empty for a token of the first format)."""
    return raw[BITS // 8:]


def dice(a: int, b: int) -> float:
    total = a.bit_count() + b.bit_count()
    return 2 * (a & b).bit_count() / total if total else 0.0


def score(a: int, b: int) -> float:
    """Weighted Dice of the name part and the birth-date part; names alone when either
    side has no birth date. Used only when a token of the first format is involved."""
    da, db = a & DATE_MASK, b & DATE_MASK
    names = dice(a & NAME_MASK, b & NAME_MASK)
    if not da or not db:
        return names
    dates = dice(da, db)
    if dates >= DATE_FLOOR:  # the same date, or day and month transposed
        return NAME_WEIGHT * names + (1 - NAME_WEIGHT) * dates
    if dates >= YEAR_TYPO_FLOOR and names >= YEAR_TYPO_NAMES:
        return names  # day and month agree, the year not: only near-identical names count
    return 0.0  # the birth dates disagree: another person, however alike the name
