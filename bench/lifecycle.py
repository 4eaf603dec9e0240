"""One situation from draft to closure: the seven commands (nine transitions) that the
transitions benchmark, its ceiling and the command profiles all drive, so they measure the
same work.

The three people who take them are loaded once and kept, as a web process keeps the person
a session cookie names between requests (webui/signed_in_cache.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def build_world(url: str, keystore: str) -> dict:
    """A fresh schema at `url` with the tests' world (a table, its agencies and people) and an
    open meeting: the ids a Lifecycle is made from (plain data, so worker processes can take
    it)."""
    from support.factories import build_world as tests_world
    from support.factories import open_meeting

    from workflow.models import Base
    from workflow.runtime import Runtime

    rt = Runtime(url, keystore, "bench-key")
    Base.metadata.create_all(rt.engine)
    world = tests_world(rt)
    meeting_id = open_meeting(world)
    ids = {"table_id": world.table_id, "agencies": world.agencies, "users": world.users,
           "meeting_id": meeting_id}
    rt.dispose()
    return ids


#: the draft and the six steps
COMMANDS_PER_SITUATION = 7
#: (command name, the command on a situation) in the order a situation goes through them
Step = tuple[str, Callable[[Any, int], Any]]


@dataclass(frozen=True)
class Lifecycle:
    """The world build_world made, with its signed-in people."""

    table_id: int
    meeting_id: int
    agencies: dict[str, int]
    school: Any
    chair: Any
    cmha: Any

    @classmethod
    def signed_in(cls, rt: Any, ids: dict) -> Lifecycle:
        from workflow.models import User

        with rt.read() as s:
            school, chair, cmha = (s.get_one(User, ids["users"][k])
                                   for k in ("school", "chair", "cmha"))
        return cls(ids["table_id"], ids["meeting_id"], ids["agencies"], school, chair, cmha)

    def draft(self, session: Any) -> int:
        """The first command: a new situation (from the tests' Filter 1 form); its id."""
        from support.factories import filter1

        from workflow import situations

        return int(situations.draft(session, self.school, self.table_id, filter1()).id)

    def steps(self) -> list[Step]:
        """The six commands after the draft, each on the drafted situation."""
        from workflow import interventions, situations

        cmha = self.agencies["cmha"]
        return [
            ("submit", lambda s, sid: situations.submit(s, self.school, sid)),
            ("accept", lambda s, sid: situations.accept(s, self.chair, sid, self.meeting_id)),
            ("disclose", lambda s, sid: interventions.disclose(s, self.chair, sid, [cmha],
                                                               basis="phipa_40_1")),
            ("plan", lambda s, sid: interventions.plan(s, self.chair, sid,
                                                       lead_agency_id=cmha)),
            ("report_back", lambda s, sid: interventions.report_back(
                s, self.cmha, sid, progress_note="ok", first_contact_made=True,
                still_aer=False)),
            ("close", lambda s, sid: interventions.close(
                s, self.chair, sid, conclusion_reason="lowered_connected")),
        ]
