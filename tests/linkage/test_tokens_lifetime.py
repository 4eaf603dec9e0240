"""Tokens follow the table's retention (rejected and withdrawn situations too), die at purge,
and are useless without the key store: a dictionary of common names and every birth date of
a year finds nobody in a copy of the application database (both databases)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from support.factories import in_intervention, open_meeting

from linkage.helpers import checked, close
from workflow import purge, situations
from workflow.linkage import clk, match
from workflow.linkage.normalize import parse_birth_date
from workflow.models import LinkageToken, utcnow

COMMON = ["Nguyễn Thị Lan", "Trần Văn Nam", "Lê Thị Hoa", "Nguyễn Văn An", "John Smith",
          "Mary Brown"]


def _tokens(world, sid: int) -> list[LinkageToken]:
    with world.runtime.read() as s:
        return list(s.scalars(select(LinkageToken).where(LinkageToken.situation_id == sid)))


def test_tokens_vanish_at_purge_for_closed_and_rejected(world):
    long_ago = utcnow() - timedelta(days=200)
    closed_sid, _ = in_intervention(world, identity_name="Nguyễn Thị Lan", now=long_ago)
    close(world, closed_sid, now=long_ago + timedelta(days=1))
    rejected = checked(world, "Trần Văn Nam", "1985-06-07", now=long_ago)
    mid = open_meeting(world, now=long_ago)
    with world.runtime.command() as s:
        situations.reject(s, world.user(s, "chair"), rejected, mid, "not_aer", now=long_ago)
    recent = checked(world, "Nguyen Thi Lan", "1999-04-01")
    assert _tokens(world, closed_sid) and _tokens(world, rejected) and _tokens(world, recent)
    with world.runtime.read() as s:
        assert closed_sid in match.matches_for(s, recent)

    done = purge.purge(world.runtime)
    assert {c.situation_id for c in done.purged} == {closed_sid, rejected}
    assert _tokens(world, closed_sid) == [] and _tokens(world, rejected) == []
    with world.runtime.read() as s:
        assert purge.verify_purged(s, world.runtime.vault, closed_sid)
        assert purge.verify_purged(s, world.runtime.vault, rejected)
        assert match.matches_for(s, recent) == {}
    assert _tokens(world, recent), "an open situation keeps its tokens"


def test_withdrawn_keeps_tokens_until_retention_then_loses_them(world):
    sid = checked(world, "Lê Thị Hoa", "1970-02-03")
    with world.runtime.command() as s:
        situations.withdraw(s, world.user(s, "school"), sid, "originator_resolved",
                            world.runtime.vault)
    assert _tokens(world, sid), "tokens follow the retention period, like the record"
    assert purge.purge(world.runtime).count == 0
    later = utcnow() + timedelta(days=91)
    assert [c.situation_id for c in purge.purge(world.runtime, now=later).purged] == [sid]
    assert _tokens(world, sid) == []


def _dictionary() -> list[tuple[str, date]]:
    start = date(1999, 1, 1)
    return [(name, start + timedelta(days=d)) for name in COMMON for d in range(365)]


def test_a_dictionary_recovers_nobody_without_the_key_store(world):
    first, _ = in_intervention(world, identity_name="Nguyễn Thị Lan")  # born 1999-04-01
    checked(world, "John Smith", "1999-07-15")
    with world.runtime.read() as s:  # all an attacker with the application database has
        stored = [(bytes(r.clk), r.block_1, r.block_2)
                  for r in s.scalars(select(LinkageToken))]
    assert len(stored) == 2
    words = _dictionary()
    stored_blocks = {b for _, b1, b2 in stored for b in (b1, b2)}
    lowest = match.FLOOR_BITS  # the least evidence any table size ever asks for
    guesses = [b"", world.runtime.identity_key.encode()]  # no key, or the master passphrase
    for key in guesses:
        encoded = [clk.encode(key, n, b) for n, b in words]
        assert not {b for e in encoded for b in e.blocks} & stored_blocks
        found = [(n, b) for (n, b), e in zip(words, encoded, strict=True)
                 for raw, _, _ in stored if match.weigh(e.to_bytes(), raw, lowest) is not None]
        assert found == [], f"a guessed key matched {len(found)} dictionary entries"
    # the control: with the key store's key the same dictionary does find both people
    real = world.runtime.vault.linkage_key().key
    encoded = [clk.encode(real, n, parse_birth_date(b)).to_bytes() for n, b in words]
    found_people = {i for i, (raw, _, _) in enumerate(stored) for guess in encoded
                    if match.weigh(guess, raw, lowest) is not None}
    assert found_people == {0, 1}
