"""The matcher on keyed tokens, without a database: what a re-typed name is, what a sibling is,
how the threshold follows the number of earlier situations, and what a token does not show."""

from __future__ import annotations

import os
from datetime import date

import pytest

from workflow.linkage import clk, match, parts

KEY = os.urandom(32)
LAN = ("Nguyễn Thị Lan", date(1999, 4, 1))


def token(name: str, born: date | None) -> bytes:
    return clk.encode(KEY, name, born).to_bytes()


def weight(a: tuple[str, date | None], b: tuple[str, date | None]) -> float | None:
    """The evidence that a and b are one person (None: refused whatever the table size)."""
    return match.weigh(token(*a), token(*b), -1e9)


def taken(a: tuple[str, date | None], b: tuple[str, date | None], earlier: int) -> bool:
    return match.weigh(token(*a), token(*b), match.threshold(earlier)) is not None


@pytest.mark.parametrize("retyped", [
    ("NGUYEN THI LAN", date(1999, 4, 1)),  # no diacritics, capitals
    ("Lan Nguyen Thi", date(1999, 4, 1)),  # parts in another order
    ("Lan Nguyễn", date(1999, 4, 1)),  # the middle name left out
    ("Nguyễn Thị Lan", date(1999, 1, 4)),  # day and month transposed
    ("Ngyuen Thi Lann", date(1999, 4, 1)),  # two typing errors
])
def test_a_retyped_name_is_taken_even_against_100000_earlier(retyped):
    assert taken(LAN, retyped, 100_000), weight(LAN, retyped)


def test_a_mistyped_year_is_taken_when_the_names_say_enough():
    julie = ("Julie Emma Ouellet", date(1990, 3, 5))
    assert taken(julie, ("Julie Emma Ouellet", date(1991, 3, 5)), 100_000)
    assert taken(julie, ("Julie Emma Ouellet", date(1909, 3, 5)), 100_000)  # 90 for 09
    assert weight(julie, ("Julie Emma Ouelet", date(1991, 3, 5))) is None  # and a typo: no


@pytest.mark.parametrize("retyped", [
    ("Ngyuen Thi Lann", date(1999, 1, 4)),  # two typos and a transposed date
    ("Nguyễn Thị Lan", date(1998, 4, 1)),  # Nguyễn Thị and a short given name, year mistyped
])
def test_weaker_evidence_is_taken_only_at_a_small_table(retyped):
    assert taken(LAN, retyped, 10)
    assert not taken(LAN, retyped, 100_000)  # too many people could look like that


@pytest.mark.parametrize("sibling", [
    ("Nguyễn Thị Hoa", date(1999, 4, 1)),  # a twin sister: another given name
    ("Nguyễn Văn Lan", date(1999, 4, 1)),  # Văn for Thị: a brother, not a typo
    ("Trần Thị Lan", date(1999, 4, 1)),  # a Vietnamese family name does not change
    ("Nguyễn Thị Mai", date(2003, 9, 17)),  # an older sister
    ("Nguyễn Thị Lan", date(1989, 4, 1)),  # the year differs by more than a keystroke
    ("Nguyễn Thị Lan", date(1999, 4, 2)),
    ("Nguyễn Thị", date(1999, 4, 1)),  # agreeing on Nguyễn and Thị alone
])
def test_a_sibling_or_another_person_is_never_taken(sibling):
    assert weight(LAN, sibling) is None
    assert not taken(LAN, sibling, 1)


def test_a_family_name_changed_at_marriage_is_taken_when_the_given_names_agree():
    before = ("Julie Emma Ouellet", date(1990, 3, 5))
    assert taken(before, ("Julie Emma Pelletier", date(1990, 3, 5)), 100_000)
    # with one given name only it looks exactly like a twin sharing the family name: refused
    assert weight(("Julie Ouellet", date(1990, 3, 5)),
                  ("Julie Pelletier", date(1990, 3, 5))) is None
    assert weight(("Ethan Leblanc", date(1990, 3, 5)),
                  ("Nathan Leblanc", date(1990, 3, 5))) is None


def test_without_a_birth_date_nothing_is_claimed():
    assert weight(LAN, ("Nguyễn Thị Lan", None)) is None
    assert weight(("Nguyễn Thị Lan", None), ("Nguyễn Thị Lan", None)) is None


def test_the_evidence_needed_grows_with_the_earlier_situations():
    assert match.threshold(1) == match.threshold(100) == match.FLOOR_BITS
    assert match.threshold(100_000) > match.threshold(10_000) > match.FLOOR_BITS


def test_a_first_format_token_is_still_compared_by_its_clk():
    legacy = clk.encode(KEY, *LAN).to_bytes()[:clk.BITS // 8]  # stored before parts.py
    assert match.weigh(legacy, token("Nguyen Thi Lan", date(1999, 4, 1)), 1e9) is not None
    assert match.weigh(legacy, token("Tran Van Binh", date(1980, 2, 2)), 1e9) is None


def _hashes(raw: bytes) -> set[bytes]:
    body = clk.structured(raw)[len(parts.MAGIC) + 1:]
    return {body[i:i + parts.HASH] for i in range(0, len(body) - parts.HASH + 1, parts.HASH)}


def test_no_name_hash_repeats_between_people_born_on_different_days():
    """Counting equal hashes across the table (a frequency attack) finds nothing: the same
    name with another birth date shares no hash."""
    a = _hashes(token("Nguyễn Thị Lan", date(1999, 4, 1)))
    b = _hashes(token("Nguyễn Thị Lan", date(1985, 6, 7)))
    assert not a & b


def test_a_token_shows_how_many_name_parts_but_not_how_long_they_are():
    assert len(token("An Vo", date(1990, 1, 2))) == \
        len(token("Alexandrina Bartholomew", date(1990, 1, 2)))
    assert len(token("An Vo", date(1990, 1, 2))) < len(token("An Thi Vo", date(1990, 1, 2)))
