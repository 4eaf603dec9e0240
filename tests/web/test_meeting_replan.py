"""Changing the plan on the web: offered, collapsed, to the chair alone for a situation in
intervention (meeting mode, and the situation's page between meetings); a refused change comes
back with each error beside its field and nothing saved; a good one shows the new lead.
Both databases."""

from __future__ import annotations

import html
import re

from sqlalchemy import select
from support.factories import in_intervention, open_meeting, submitted

from web.conftest import signed_in
from workflow import directory_admin, situations
from workflow.models import Situation, Transition


def _error(page: str, field: str) -> str | None:
    found = re.search(rf'<p class="error" id="{re.escape(field)}-error">(.*?)</p>', page, re.S)
    if found is None:
        return None
    text = html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()
    return text.removeprefix("Error:").strip()  # the screen reader's word, hidden on screen


def _plan(world, sid: int) -> tuple:
    with world.runtime.read() as s:
        situation = s.get_one(Situation, sid)
        return (situation.version, situation.lead_agency_id,
                sorted(situation.assisting_agency_ids), len(situation.tasks))


def _form(world, sid: int, **fields) -> dict:
    """The form as the page sends it: the plan as it stands, changed by `fields`."""
    version, lead, assisting, _tasks = _plan(world, sid)
    data = {"step": "replan", "version": str(version), "lead_agency_id": str(lead),
            "assisting_agency_ids": [str(a) for a in assisting],
            "assisting_agency_ids-shown": "1"}
    data.update(fields)
    return data


def test_the_chair_is_offered_the_change_collapsed_and_nobody_else_is(app, world):
    sid, mid = in_intervention(world)
    chair = signed_in(app, "chair")
    page = chair.get(f"/meetings/{mid}/situations/{sid}").get_data(as_text=True)
    details = re.search(r'<details class="replan" id="replan"( open)?>(.*?)</details>', page,
                        re.S)
    assert details is not None and details.group(1) is None  # collapsed by default
    form = details.group(2)
    assert "<summary>Change the plan</summary>" in form
    assert f'action="/meetings/{mid}/situations/{sid}/replan"' in form
    assert 'name="csrf_token"' in form
    for field in ("lead_agency_id", "task-0-agency_id", "first_contact_due"):
        assert f'<label for="{field}">' in form and f'id="{field}"' in form
    assert '<legend>Assisting agencies</legend>' in form
    assert f'<option value="{world.agencies["cmha"]}" selected>' in form  # the lead now

    # between meetings, on the situation's own page
    page = chair.get(f"/situations/{sid}").get_data(as_text=True)
    assert f'action="/situations/{sid}/replan"' in page
    # not to the agencies of the plan, nor before the plan exists
    for rep in ("cmha", "housing", "school"):
        page = signed_in(app, rep).get(f"/situations/{sid}").get_data(as_text=True)
        assert "replan" not in page and "Change the plan" not in page
    accepted = submitted(world)
    with world.runtime.command() as s:
        situations.accept(s, world.user(s, "chair"), accepted, mid)
    page = chair.get(f"/meetings/{mid}/situations/{accepted}").get_data(as_text=True)
    assert "Change the plan" not in page and "/replan" not in page


def test_a_refused_change_shows_each_error_beside_its_field_and_saves_nothing(app, world):
    a = world.agencies
    sid, mid = in_intervention(world)
    before = _plan(world, sid)
    chair = signed_in(app, "chair")
    url = f"/meetings/{mid}/situations/{sid}/replan"

    ungranted = chair.post(url, _form(world, sid, lead_agency_id=str(a["police"])))
    assert ungranted.status_code == 400
    page = ungranted.get_data(as_text=True)
    assert '<details class="replan" id="replan" open>' in page  # open again, at the error
    assert _error(page, "lead_agency_id").startswith("Peel Police has not been granted")
    assert re.search(r'<select id="lead_agency_id"[^>]*aria-invalid="true"', page)
    assert 'href="#lead_agency_id"' in page  # and in the summary at the top

    bad_task = chair.post(url, _form(world, sid, **{"task-0-agency_id": str(a["cmha"]),
                                                    "task-0-description": "Visit",
                                                    "task-0-due_date": "next week"}))
    assert bad_task.status_code == 400
    assert _error(bad_task.get_data(as_text=True), "task-0-due_date") == (
        "Give the due date as YYYY-MM-DD.")

    stray = chair.post(url, _form(world, sid, **{"task-1-agency_id": str(a["police"]),
                                                 "task-1-description": "Visit"}))
    assert _error(stray.get_data(as_text=True), "task-1-agency_id") == (
        "a task's owner must be the lead or an assisting agency")

    unchanged = chair.post(url, _form(world, sid))
    assert _error(unchanged.get_data(as_text=True), "replan").startswith(
        "the plan is unchanged")

    stale = chair.post(url, _form(world, sid, lead_agency_id=str(a["housing"]),
                                  version=str(before[0] - 1)))
    assert stale.status_code == 400
    assert "was changed by someone else" in _error(stale.get_data(as_text=True), "replan")
    assert _plan(world, sid) == before


def test_a_good_change_redirects_and_the_page_shows_the_new_lead(app, world):
    a = world.agencies
    sid, mid = in_intervention(world)
    chair = signed_in(app, "chair")
    done = chair.post(f"/meetings/{mid}/situations/{sid}/replan",
                      _form(world, sid, lead_agency_id=str(a["housing"]),
                            assisting_agency_ids=[str(a["school"])],
                            **{"task-0-agency_id": str(a["school"]),
                               "task-0-description": "Check school attendance"}))
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/meetings/{mid}/situations/{sid}")
    page = chair.get(done.headers["Location"]).get_data(as_text=True)
    assert "Plan changed" in page
    assert "Lead: <strong>Housing Services</strong>" in page
    assert "Assisting: District School Board" in page
    assert "Check school attendance" in page
    assert _plan(world, sid)[1:] == (a["housing"], [a["school"]], 2)


def test_the_new_lead_still_ticked_as_assisting_leads(app, world):
    """"Housing leads now": choosing it as lead is enough, as in the plan; ticked among the
    assisting agencies as it was, it leads and assists no more."""
    a = world.agencies
    sid, mid = in_intervention(world)
    done = signed_in(app, "chair").post(
        f"/meetings/{mid}/situations/{sid}/replan",
        _form(world, sid, lead_agency_id=str(a["housing"]),
              assisting_agency_ids=[str(a["housing"]), str(a["cmha"])]))
    assert done.status_code == 302
    assert _plan(world, sid)[1:3] == (a["housing"], [a["cmha"]])


def test_between_meetings_the_chair_changes_the_plan_on_the_situations_page(app, world):
    a = world.agencies
    sid, _mid = in_intervention(world)
    chair = signed_in(app, "chair")
    done = chair.post(f"/situations/{sid}/replan",
                      _form(world, sid, lead_agency_id=str(a["housing"]),
                            assisting_agency_ids=[str(a["cmha"])]))
    assert done.status_code == 302
    page = chair.get(f"/situations/{sid}").get_data(as_text=True)
    assert re.search(r"<dt>Lead agency</dt><dd>Housing Services</dd>", page)
    with world.runtime.read() as s:
        last = s.scalars(select(Transition).where(Transition.situation_id == sid)
                         .order_by(Transition.id.desc())).first()
        assert (last.command, last.meeting_id) == ("replan", None)
    refused = chair.post(f"/situations/{sid}/replan",
                         _form(world, sid, lead_agency_id=str(a["police"])))
    assert refused.status_code == 400
    assert _error(refused.get_data(as_text=True), "lead_agency_id").startswith("Peel Police")
    lead_rep = signed_in(app, "housing")
    assert lead_rep.post(f"/situations/{sid}/replan",
                         _form(world, sid, lead_agency_id=str(a["cmha"]))).status_code == 403


def test_a_deactivated_agency_of_the_plan_is_named_and_no_longer_offered(app, world):
    a = world.agencies
    sid, _mid = in_intervention(world)
    with world.runtime.command() as s:
        directory_admin.update_agency(s, world.user(s, "admin"), a["cmha"], active=False,
                                      open_work_understood=True)
    mid = open_meeting(world)
    page = signed_in(app, "chair").get(f"/meetings/{mid}/situations/{sid}").get_data(
        as_text=True)
    assert ("Mental Health Association was deactivated by an administrator: change the plan "
            "to say who takes on its part.") in page
    form = re.search(r'<details class="replan".*?</details>', page, re.S).group(0)
    assert f'<option value="{a["cmha"]}"' not in form
    assert '<option value="">Choose…</option>' in form  # no lead chosen for the chair
