"""Seen before? A re-presented person is recognised across tables, a sibling is not, rule
packs get the facts, and the answer carries counts and months only (both databases)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from support.factories import in_intervention

from linkage.helpers import checked, close, other_table, present_here, presented_elsewhere
from workflow import rulebook
from workflow.errors import DomainError, PermissionDenied, ValidationError
from workflow.linkage import commands, match
from workflow.models import LinkageToken, OutboxEvent, Situation, utcnow


@pytest.fixture
def history(world):
    """Earlier: "Nguyễn Thị Lan" (1999-04-01) closed at this table two months ago, and the
    same person, typed without diacritics, presented at the region's other table."""
    earlier = utcnow() - timedelta(days=60)
    first, _ = in_intervention(world, identity_name="Nguyễn Thị Lan", now=earlier)
    close(world, first, now=earlier + timedelta(days=3))
    elsewhere = presented_elsewhere(world, "NGUYEN THI LAN", "1999-04-01")
    return {"first": first, "elsewhere": elsewhere, "closed_at": earlier + timedelta(days=3)}


def test_re_presented_person_is_recognised_with_typos_and_swapped_date(world, history):
    sid = checked(world, "Ngyuen Thi Lann", "1999-01-04")  # typos, day and month transposed
    present_here(world, sid)
    with world.runtime.read() as s:
        seen = match.seen_before(s, s.get(Situation, sid))
        facts = rulebook.facts_for(s, s.get(Situation, sid), "present")
    assert seen.count_here == 1
    assert seen.last_closed_month == history["closed_at"].strftime("%Y-%m")
    assert seen.last_outcome == "risk_lowered"
    assert seen.elsewhere_in_region is True
    assert facts["seen_before_count"] == 1.0
    assert 1.5 <= facts["months_since_last_seen"] <= 2.5


def test_a_sibling_sharing_surname_and_address_is_not_confused(world, history):
    sister = checked(world, "Nguyễn Thị Mai", "2003-09-17")
    brother = checked(world, "Nguyen Van Lam", "1996-04-01")  # same day and month, not year
    with world.runtime.read() as s:
        for sid in (sister, brother):
            seen = match.seen_before(s, s.get(Situation, sid))
            assert (seen.count_here, seen.elsewhere_in_region) == (0, False)
            facts = rulebook.facts_for(s, s.get(Situation, sid), "present")
            assert facts["seen_before_count"] == 0.0
            assert facts["months_since_last_seen"] == -1


def test_a_twin_recorded_at_filter_3_is_not_taken_for_her_sister(world, history):
    """Same family and middle name, same birth date, same address: another given name."""
    twin, _ = in_intervention(world, identity_name="Nguyễn Thị Hoa")  # 1999-04-01, 12 Example St
    with world.runtime.read() as s:
        assert match.matches_for(s, twin) == {}
        assert history["first"] in match.matches_for(s, history["elsewhere"])


def test_identity_recorded_at_filter_3_makes_tokens_not_identity(world, history):
    with world.runtime.read() as s:
        rows = s.scalars(select(LinkageToken).where(
            LinkageToken.situation_id == history["first"])).all()
    assert [r.source for r in rows] == ["identity"]
    assert rows[0].clk[128:132] == b"HTL2"  # a CLK, then the structured part (parts.py)
    assert b"Lan" not in rows[0].clk and b"lan" not in rows[0].clk
    assert "1999" not in rows[0].block_1 + rows[0].block_2


def test_chair_asks_the_other_table_to_get_in_touch_without_identity(world, history):
    sid = checked(world, "Nguyễn Thị Lan", "1999-04-01")
    present_here(world, sid)
    other_id, _ = other_table(world)
    with world.runtime.command() as s, pytest.raises(PermissionDenied):
        commands.request_contact(s, world.user(s, "school"), s.get(Situation, sid))
    with world.runtime.command() as s:
        asked = commands.request_contact(s, world.user(s, "chair"), s.get(Situation, sid))
    assert asked == 1
    with world.runtime.read() as s:
        event = s.scalars(select(OutboxEvent).where(
            OutboxEvent.event_type == "linkage.contact_requested")).one()
    assert event.table_id == other_id and event.to_chairs
    assert event.situation_id == history["elsewhere"]
    assert event.payload["requesting_table"] == "PEEL"
    assert "Lan" not in str(event.payload) and "1999" not in str(event.payload)


def test_no_contact_request_when_no_other_table_matched(world):
    sid = checked(world, "Tran Van Binh", "1980-02-02")
    with world.runtime.command() as s, pytest.raises(DomainError, match="no other table"):
        commands.request_contact(s, world.user(s, "chair"), s.get(Situation, sid))


def test_filter1_check_errors_never_echo_the_typed_text(world):
    with world.runtime.command() as s:
        from support.factories import filter1

        from workflow import situations
        actor = world.user(s, "school")
        sit = situations.draft(s, actor, world.table_id, filter1())
        key = world.runtime.vault.linkage_key()
        with pytest.raises(ValidationError) as bad:
            commands.check_at_filter1(s, key, actor, sit, "Canary Person", "31/12/1990")
        assert "31/12/1990" not in str(bad.value) and "Canary" not in str(bad.value)
        with pytest.raises(ValidationError, match="birth date too") as bad:
            commands.check_at_filter1(s, key, actor, sit, "Canary Person", "")
        assert "Canary" not in str(bad.value)
        with pytest.raises(PermissionDenied):
            commands.check_at_filter1(s, key, world.user(s, "police"), sit, "A B", "")
        assert commands.check_at_filter1(s, key, actor, sit, "", "") is False
