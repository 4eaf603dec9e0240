"""Keyed encodings of a birth date and of each name part, salted with the birth date.

A whole-name Bloom filter (clk.py) cannot tell "Nguyễn Thị Lan" from her twin "Nguyễn Thị
Hoa": most of their bigrams agree. Matching has to see the name part by part: which parts
agree exactly, which differ by one typing error, which one is missing, which one is another
name. So each part gets its own keyed hashes, and the birth date its own:

- the date as typed, the date with day and month unordered (a transposition), and two year
  salts (same day-month with the year's last digit mistyped, or its last two digits swapped);
- per part, salted with the unordered date: the part, and the part with each letter left out
  (15 slots, unused ones random, so the part's length does not show): two parts one typing
  error apart (a letter dropped, added, changed, or two neighbours swapped) share one;
- per part, salted with each year salt: the part alone (a mistyped year counts only when the
  names agree part for part).

Every name hash is salted with the birth date, so no hash repeats between people born on
different days: counting equal hashes across the table (the frequency attack that breaks
field-level Bloom filters) finds nothing, and without the key nobody can compute one. How
frequent a part is (Nguyễn, Thị, Văn weigh little) shows only when two tokens already agree
on that part: two slots per part hold a keyed tag of the part for the frequent parts and
random bytes for the others. A third slot says, only to a token with the same birth date,
"this is the first (second...) frequent part of the name", so that a Trần cannot pass for a
Nguyễn who married (Vietnamese women keep their family name). What the token does show in
clear: how many name parts there are.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import date

from workflow.linkage.normalize import canonical_part, frequency_tier, name_parts

MAGIC = b"HTL2"
HASH = 4  # bytes per keyed hash: a chance collision needs ~2**32 comparisons
SLOTS = 15  # letter-dropped variants per part (a part longer than this: its first 15)
MAX_PARTS = 6
PART_U = HASH * (4 + SLOTS)  # the part, its tier slots, its frequent slot, dropped letters
PART_Y = HASH * 3  # the part and its two tier slots, under a year salt
TIER_LABELS = ("ta", "tb")  # tier 0 (most frequent) and tier 1 tags; tier 2 has neither


def _h(key: bytes, *fields: str) -> bytes:
    return hmac.new(key, "\x1f".join(fields).encode(), hashlib.sha256).digest()[:HASH]


def _tiers(key: bytes, salt: str, part: str) -> bytes:
    tier = frequency_tier(part)
    return b"".join(_h(key, salt, label, part) if tier == i else os.urandom(HASH)
                    for i, label in enumerate(TIER_LABELS))


def _frequent(key: bytes, salt: str, parts: list[str]) -> list[bytes]:
    """Per part: a tag shared by the k-th frequent part of any name with this birth date."""
    out, k = [], 0
    for part in parts:
        if frequency_tier(part) < len(TIER_LABELS):
            out.append(_h(key, salt, "fq", str(k)))
            k += 1
        else:
            out.append(os.urandom(HASH))
    return out


def _dropped(key: bytes, salt: str, part: str) -> bytes:
    variants = [_h(key, salt, "x", part[:i] + part[i + 1:]) for i in range(len(part))]
    variants = variants[:SLOTS]
    return b"".join(variants) + os.urandom(HASH * (SLOTS - len(variants)))


def date_salts(born: date) -> tuple[str, str, str, str]:
    """(as typed, day/month unordered, year's last digit open, year's last two unordered)."""
    low, high = sorted((born.day, born.month))
    year = f"{born.year:04d}"
    md = f"{born.month:02d}-{born.day:02d}"
    return (f"d:{year}-{md}", f"u:{year}:{low:02d}-{high:02d}", f"y:{md}:{year[:3]}",
            f"t:{md}:{year[:2]}{''.join(sorted(year[2:]))}")


def encode(key: bytes, name: str, born: date | None) -> bytes:
    """The structured part of a token: MAGIC, a flag, then (with a birth date) the four date
    hashes, the number of parts, and each part under the unordered-date salt and under
    both year salts."""
    if born is None:
        return MAGIC + b"\x00"
    parts = [canonical_part(p) for p in name_parts(name)][:MAX_PARTS]
    salts = date_salts(born)
    out = [MAGIC, b"\x01", *(_h(key, "date", s) for s in salts), bytes([len(parts)])]
    for part, frequent in zip(parts, _frequent(key, salts[1], parts), strict=True):
        out += [_h(key, salts[1], "x", part), _tiers(key, salts[1], part), frequent,
                _dropped(key, salts[1], part)]
    for salt in salts[2:]:
        out += [b"".join(_h(key, salt, "x", p) + _tiers(key, salt, p) for p in parts)]
    return b"".join(out)


@dataclass(frozen=True)
class Part:
    """One name part as stored: its hash, its two tier tags, its frequent-part tag and its
    dropped-letter variants (the last two only under the unordered-date salt)."""

    exact: bytes
    tiers: tuple[bytes, bytes]
    frequent: bytes = b""
    dropped: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class Parsed:
    dates: tuple[bytes, bytes, bytes, bytes]
    parts: tuple[Part, ...]  # under the unordered-date salt
    year_parts: tuple[tuple[Part, ...], tuple[Part, ...]]  # under each year salt


def _chunks(raw: bytes, size: int) -> tuple[bytes, ...]:
    return tuple(raw[i:i + size] for i in range(0, len(raw), size))


def parse(raw: bytes) -> Parsed | None:
    """The structured part of a stored token; None when it has no birth date (or is not
    in this format)."""
    if raw[:4] != MAGIC or raw[4:5] != b"\x01":
        return None
    d = _chunks(raw[5:5 + 4 * HASH], HASH)
    n = raw[5 + 4 * HASH]
    at = 6 + 4 * HASH
    parts = []
    for _ in range(n):
        c = _chunks(raw[at:at + PART_U], HASH)
        parts.append(Part(c[0], (c[1], c[2]), c[3], c[4:]))
        at += PART_U
    years = []
    for _ in range(2):
        year = []
        for _ in range(n):
            c = _chunks(raw[at:at + PART_Y], HASH)
            year.append(Part(c[0], (c[1], c[2])))
            at += PART_Y
        years.append(tuple(year))
    return Parsed((d[0], d[1], d[2], d[3]), tuple(parts), (years[0], years[1]))
