"""Identity, folded so that the same person typed twice gives the same features.

Names lose case, punctuation and diacritics (Vietnamese đ becomes d), so "Nguyễn Thị Lan" and
"nguyen thi lan" agree; the order of name parts is ignored (family name first or last). A
birth date gives its year, its day and month as an unordered pair (a transposed day and month
still agree) and the ordered pair (which adds weight when they agree exactly).
"""

from __future__ import annotations

import unicodedata
from datetime import date
from functools import lru_cache

#: Letters that no Unicode decomposition turns into ASCII. "Ð" (U+00D0, the Icelandic eth) is
#: how text converted from the old Vietnamese encodings often spells Đ (U+0110): the same letter.
_FOLD = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ø": "o", "Ø": "o", "ł": "l",
                       "Ł": "l", "ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
                       "ı": "i"})
#: What joins two parts of one name: a hyphen ("Mary-Jane") or an apostrophe ("O'Brien"),
#: typed also as a space or not at all ("Mary Jane", "Maryjane"; "O Brien", "OBrien").
_JOINERS = "-\u2010\u2011\u2012\u2013\u2014'\u2019\u02bc`\u00b4"
_DROP_JOINERS = str.maketrans(dict.fromkeys(_JOINERS))


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


def spellings(name: str) -> list[str]:
    """The name as typed (a joiner folds to a space: "mary jane"), and, when a hyphen or an
    apostrophe joins two parts, also with the joined parts written as one ("maryjane"): a
    token of each, so that either way of typing it again finds the person."""
    joined = name.translate(_DROP_JOINERS)
    return [name] if joined == name or not joined.strip() else [name, joined]


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


def _one_edit(a: str, b: str) -> bool:
    """At most one letter dropped, added, changed, or two neighbours swapped."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


@lru_cache(maxsize=4096)
def is_common(part: str) -> bool:
    """A common part, or a common part mistyped once ("ngyuen" is still Nguyen)."""
    return part in COMMON_PARTS or (len(part) > 3 and any(
        _one_edit(part, c) for c in COMMON_PARTS if len(c) > 3))


#: Name parts so frequent that agreeing on them says little, in two tiers (the weights are in
#: evidence.py). Shares of Vietnamese family names as commonly cited: Nguyễn ~38%, Trần ~11%,
#: Lê ~9.5%, Phạm ~7%, Hoàng/Huỳnh ~5%, Phan ~4.5%, Vũ/Võ ~4%, Đặng and Bùi ~2%; Thị and Văn
#: are the middle names of most women and men. Canada's most frequent family names (Smith
#: ~0.6% of people) are not frequent in this sense: agreeing on them still says a lot.
FREQUENT_TIERS = (
    frozenset({"nguyen", "thi", "van"}),
    frozenset({"tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui"}),
)
_FREQUENT = FREQUENT_TIERS[0] | FREQUENT_TIERS[1]


def _swapped_neighbours(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] \
        and a[diff[1]] == b[diff[0]]


@lru_cache(maxsize=4096)
def canonical_part(part: str) -> str:
    """A frequent part with two neighbouring letters swapped ("ngyuen") is that part, so it
    weighs as little as the part itself. Only swaps: one letter changed, added or dropped
    turns many a given name into a family name ("dung" and "duong", "tram" and "tran")."""
    if part in _FREQUENT or len(part) < 4:
        return part
    return next((f for f in sorted(_FREQUENT) if _swapped_neighbours(part, f)), part)


def frequency_tier(part: str) -> int:
    """0: among the most frequent parts, 1: frequent, 2: any other."""
    part = canonical_part(part)
    return next((i for i, tier in enumerate(FREQUENT_TIERS) if part in tier), 2)


def features(name: str, birth_date: date | None
             ) -> tuple[list[tuple[str, bool]], list[tuple[str, int]]]:
    """(name features, birth-date features). Names: the padded bigrams of each part, with
    whether the part is a common one. Dates: (feature, weight) for the year (3), the unordered
    day-month pair (1) and the ordered day-month (1)."""
    names: list[tuple[str, bool]] = []
    for part in name_parts(name):
        padded = f"_{part}_"
        common = is_common(part)
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
    initials = "".join(sorted({p[0] for p in name_parts(name) if not is_common(p)}))
    if birth_date is not None:
        low, high = sorted((birth_date.day, birth_date.month))
        return (f"bd:{birth_date.year:04d}-{low:02d}-{high:02d}",
                f"bdi:{low:02d}-{high:02d}:{initials}")
    longest = max(name_parts(name) or [""], key=len)
    return f"bi:{initials}", f"bl:{longest[:3]}"
