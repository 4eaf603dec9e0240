"""Identity, folded so that the same person typed twice gives the same features.

Names lose case, punctuation and diacritics (Vietnamese đ becomes d), so "Nguyễn Thị Lan" and
"nguyen thi lan" agree; the order of name parts is ignored (family name first or last). A
birth date gives its year, its day and month as an unordered pair (a transposed day and month
still agree) and the ordered pair (which adds weight when they agree exactly).
"""

from __future__ import annotations

import unicodedata
from datetime import date

_FOLD = str.maketrans({"đ": "d", "Đ": "d", "ø": "o", "ł": "l", "ß": "ss"})


def fold(text: str) -> str:
    """Lower case, ASCII letters and spaces only."""
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    out = []
    for ch in text:
        if unicodedata.combining(ch):
            continue
        out.append(ch.lower() if ch.isalpha() and ch.isascii() else " ")
    return " ".join("".join(out).split())


def name_parts(name: str) -> list[str]:
    return fold(name).split()


def parse_birth_date(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    value = value.strip()
    return date.fromisoformat(value) if value else None


#: Name parts shared by a large share of people (the most frequent Vietnamese family and middle
#: names, the most frequent Canadian family names): agreeing on them says little, so their
#: bigrams weigh less than those of rarer parts (frequency-based weighting).
COMMON_PARTS = frozenset({
    "nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui", "do",
    "ho", "ngo", "duong", "ly", "thi", "van", "smith", "brown", "tremblay", "martin", "roy",
    "wilson", "macdonald", "gagnon", "johnson", "taylor", "lee",
})


def features(name: str, birth_date: date | None
             ) -> tuple[list[tuple[str, bool]], list[tuple[str, int]]]:
    """(name features, birth-date features). Names: the padded bigrams of each part, with
    whether the part is a common one. Dates: (feature, weight) for the year (3), the unordered
    day-month pair (1) and the ordered day-month (1)."""
    names: list[tuple[str, bool]] = []
    for part in name_parts(name):
        padded = f"_{part}_"
        common = part in COMMON_PARTS
        names.extend((f"n:{padded[i:i + 2]}", common) for i in range(len(padded) - 1))
    dates: list[tuple[str, int]] = []
    if birth_date is not None:
        low, high = sorted((birth_date.day, birth_date.month))
        dates = [(f"y:{birth_date.year:04d}", 3), (f"dm:{low:02d}-{high:02d}", 1),
                 (f"md:{birth_date.month:02d}-{birth_date.day:02d}", 1)]
    return names, dates


def block_inputs(name: str, birth_date: date | None) -> tuple[str, str]:
    """What the two blocking keys are made of. With a birth date: the date with day and month
    unordered (tolerates any change of name and a transposed day/month), and the unordered
    day-month pair with the initials of the name's less common parts (tolerates a mistyped
    year, and typos after a name's first letter). With none: the initials and the first
    letters of the longest part."""
    initials = "".join(sorted({p[0] for p in name_parts(name) if p not in COMMON_PARTS}))
    if birth_date is not None:
        low, high = sorted((birth_date.day, birth_date.month))
        return (f"bd:{birth_date.year:04d}-{low:02d}-{high:02d}",
                f"bdi:{low:02d}-{high:02d}:{initials}")
    longest = max(name_parts(name) or [""], key=len)
    return f"bi:{initials}", f"bl:{longest[:3]}"
