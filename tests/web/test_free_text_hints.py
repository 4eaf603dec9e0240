"""Every free-text field written after Filter 1 tells its writer to keep it de-identified:
the task fields had no such hint, while the report-back and rejection notes did."""

from __future__ import annotations

import re

from support.factories import in_intervention, open_meeting, submitted

from web.conftest import signed_in
from workflow import interventions, situations
from workflow.models import Situation

_HINT = "De-identified: no names, addresses, birth dates or phone numbers."


def _described_by(html: str, field: str) -> str:
    match = re.search(rf'<input id="{re.escape(field)}"[^>]*aria-describedby="([^"]+)"', html)
    assert match, f"{field} has no aria-describedby"
    return match.group(1)


def test_the_task_note_on_the_situation_page_carries_the_de_identified_hint(app, runtime,
                                                                            world):
    sid, _mid = in_intervention(world)
    with runtime.read() as s:
        task_id = s.get(Situation, sid).tasks[0].id
    html = signed_in(app, "housing").get(f"/situations/{sid}").get_data(as_text=True)
    field = f"task-{task_id}-note"
    assert f"{field}-hint" in _described_by(html, field).split()
    assert re.search(rf'id="{field}-hint">{re.escape(_HINT)}<', html)


def test_the_meeting_task_rows_say_to_write_tasks_de_identified(app, runtime, world):
    sid, mid = submitted(world), open_meeting(world)
    with runtime.command() as s:
        chair = world.user(s, "chair")
        situations.accept(s, chair, sid, mid)
        interventions.disclose(s, chair, sid, [world.agencies["cmha"]], basis="phipa_40_1",
                               meeting_id=mid)
    html = signed_in(app, "chair").get(f"/meetings/{mid}/situations/{sid}").get_data(
        as_text=True)
    assert "Describe tasks de-identified" in html
