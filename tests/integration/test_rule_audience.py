"""Who a rule pack's notice reaches at one table."""

from __future__ import annotations

from support.factories import submitted

from workflow.models import Situation
from workflow.rulebook.effects import audience


def test_a_sector_or_agency_the_table_lacks_is_told_to_its_chairs(world):
    """A pack's duty to tell a sector (child protection) never vanishes at a table that has
    no agency of that sector: the chairs hear of it instead."""
    sid = submitted(world)
    with world.runtime.read() as s:
        situation = s.get(Situation, sid)
        assert audience(s, situation, "sector:child_protection") == (
            [world.agencies["cas"]], False)
        assert audience(s, situation, "sector:womens_organisation") == ([], True)
        assert audience(s, situation, "agency:no-such-agency") == ([], True)
