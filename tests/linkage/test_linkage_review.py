"""Linkage and legal-basis review: a hyphenated or apostrophised name typed another way is
still the person, twins whose middle names differ are not one person, "Ð" is "Đ", another
country's region of the same name is not the region, and a grant's basis keeps its label when
a later pack version drops it."""

from __future__ import annotations

import os
from datetime import date

import pytest
from support.factories import build_world, open_meeting, submitted

from linkage.helpers import checked, presented_elsewhere
from rules.loader import PACKS_DIR
from workflow import interventions, legal_basis, meetings, rulebook, situations
from workflow.errors import ValidationError
from workflow.linkage import clk, match, tokens
from workflow.linkage.normalize import fold
from workflow.models import Situation, Table

KEY = tokens.LinkageKeyRef(1, os.urandom(32))
BORN = date(2010, 3, 12)


def _best(a: str, b: str, needed: float) -> float | None:
    """What the matcher makes of two typings, over every token each one stores."""
    found = [match.weigh(x.to_bytes(), y.to_bytes(), needed)
             for _, x in tokens.encode_persons(KEY, [(a, BORN)])
             for _, y in tokens.encode_persons(KEY, [(b, BORN)])]
    return max((f for f in found if f is not None), default=None)


@pytest.mark.parametrize(("first", "again"), [
    ("Mary-Jane Smith", "Maryjane Smith"),
    ("Mary-Jane Smith", "Mary Jane Smith"),
    ("Jean-Luc Tremblay", "Jeanluc Tremblay"),
    ("Anne Smith-Jones", "Anne Smithjones"),
    ("D'Arcy Lee", "Darcy Lee"),
    ("O'Brien Siobhan", "OBrien Siobhan"),
    ("Siobhan O’Brien", "Siobhan O Brien"),
])
def test_a_hyphen_or_apostrophe_typed_another_way_is_the_same_person(first, again):
    assert _best(first, again, match.threshold(100_000)) is not None
    assert _best(again, first, match.threshold(100_000)) is not None


@pytest.mark.parametrize(("one", "other"), [
    ("Mary Jane Smith", "Mary Ann Smith"),
    ("Jean Luc Roy", "Jean Paul Roy"),
    ("Emma Rose Ouellet Smith", "Emma Lily Ouellet Smith"),
])
def test_twins_whose_names_differ_inside_are_never_one_person(one, other):
    """A family name changed at marriage is first or last, never between given names."""
    a, b = clk.encode(KEY.key, one, BORN), clk.encode(KEY.key, other, BORN)
    assert match.weigh(a.to_bytes(), b.to_bytes(), -1e9) is None


def test_hyphenated_twins_are_not_one_person_in_either_spelling():
    assert _best("Mary-Jane Smith", "Mary-Ann Smith", -1e9) is None
    assert _best("Jean-Luc Roy", "Jean-Paul Roy", -1e9) is None


def test_a_family_name_changed_at_marriage_is_still_taken_in_either_order():
    assert _best("Julie Emma Ouellet", "Pelletier Julie Emma", match.threshold(100_000))
    assert _best("Julie Emma Ouellet", "Julie Emma Pelletier", match.threshold(100_000))


def test_eth_typed_for_d_with_stroke_is_the_same_letter():
    """Text converted from the old Vietnamese encodings spells Đ as Ð (U+00D0)."""
    assert fold("Ðặng Ðức ðạt") == fold("Đặng Đức đạt") == "dang duc dat"
    plain = clk.encode(KEY.key, "Đỗ Thị Lan", BORN)
    eth = clk.encode(KEY.key, "Ðỗ Thị Lan", BORN)
    assert plain.blocks == eth.blocks
    again = clk.encode(KEY.key, "Đỗ Thị Lan", BORN)  # a token is never weighed against itself
    assert match.weigh(plain.to_bytes(), eth.to_bytes(), -1e9) == \
        match.weigh(plain.to_bytes(), again.to_bytes(), -1e9)


def test_a_hyphenated_name_is_found_again_through_the_database(world):
    first = checked(world, "Mary-Jane O'Brien", "2010-03-12")
    again = checked(world, "Maryjane Obrien", "2010-12-03")  # and day and month transposed
    with world.runtime.read() as s:
        assert first in match.matches_for(s, again)
        assert again in match.matches_for(s, first)


def test_a_region_of_the_same_name_in_another_country_is_not_the_region(world):
    with world.runtime.command() as s:
        here = s.get(Table, world.table_id)
        other = s.query(Table).filter_by(code="OTHER").one()
        here.region = other.region = "Central"
        other.country = "VN"
    presented_elsewhere(world, "Nguyễn Thị Lan", "1999-04-01")
    sid = checked(world, "Nguyen Thi Lan", "1999-04-01")
    with world.runtime.read() as s:
        situation = s.get(Situation, sid)
        assert match.matches_for(s, sid), "the person is matched..."
        assert match.same_region_table_ids(s, situation.table) == set()
        assert match.seen_before(s, situation).elsewhere_in_region is False


def test_a_basis_dropped_by_a_later_pack_version_keeps_its_label(runtime):
    world = build_world(runtime)
    sid = submitted(world)
    mid = open_meeting(world)
    with runtime.command() as s:
        chair = world.user(s, "chair")
        situations.accept(s, chair, sid, mid)
        interventions.disclose(s, chair, sid, [world.agencies["cmha"]], basis="phipa_40_1",
                               meeting_id=mid)
    source = (PACKS_DIR / "ontario.yaml").read_text()
    start = source.index("  - code: phipa_40_1")
    end = source.index("  - code:", start + 1)
    edited = source[:start] + source[end:]
    edited = edited.replace('version: "1.1"', 'version: "1.2-review"', 1)
    with runtime.command() as s:
        rulebook.install_pack(s, edited, source_name="edited")
        s.get(Table, world.table_id).rule_pack_version = "1.2-review"
    with runtime.command() as s:
        table = s.get(Table, world.table_id)
        assert "phipa_40_1" not in [b.code for b in legal_basis.bases_of(s, table)]
        with pytest.raises(ValidationError, match="unknown legal basis"):
            legal_basis.check(s, s.get(Situation, sid), "phipa_40_1")  # no new grant on it
    with runtime.read() as s:
        table = s.get(Table, world.table_id)
        chair = world.user(s, "chair")
        [(_, _, code)] = meetings.minutes(s, chair, mid).disclosures
        assert code == "phipa_40_1"
        assert legal_basis.label_of(s, table, code, "en").startswith("PHIPA s. 40(1)")
        assert legal_basis.label_of(s, table, code, "vi").startswith("PHIPA điều 40(1)")
        assert legal_basis.label_of(s, table, legal_basis.UNRECORDED, "vi") \
            .startswith("Không ghi nhận")
