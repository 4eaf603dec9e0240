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

#: (command name, the command on a situation) in the order a situation goes through them
Step = tuple[str, Callable[[Any, int], Any]]


@dataclass(frozen=True)
class Lifecycle:
    """The world bench_transitions._setup built, with its signed-in people."""

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
