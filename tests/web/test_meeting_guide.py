"""The chair's meeting page after Accept: one guided sequence, errors summarised and placed,
attendance in one step, the projector without personal controls (issue 18, chair part)."""

from __future__ import annotations

import re

from sqlalchemy import select
from support.factories import in_intervention, open_meeting, submitted

from web.conftest import signed_in
from workflow import interventions, situations
from workflow.models import Attendance, Situation, Table


def _accepted(world) -> tuple[int, int]:
    sid = submitted(world)
    mid = open_meeting(world)
    with world.runtime.command() as s:
        situations.accept(s, world.user(s, "chair"), sid, mid)
    return sid, mid


def _step(html: str, name: str) -> str:
    """The HTML of one step's section of the meeting page."""
    found = re.search(rf'<section class="step" id="step-{name}".*?</section>', html, re.S)
    assert found, f"no step {name}"
    return found.group(0)


def _primary(html: str) -> list[str]:
    """The labels of the primary buttons and links of a page part."""
    return [re.sub(r"<[^>]+>|\s+", " ", m).strip() for m in re.findall(
        r'<(?:button|a)[^>]*class="[^"]*\bprimary\b[^"]*"[^>]*>(.*?)</(?:button|a)>', html, re.S)]


def test_after_accept_the_next_step_is_disclosure_and_the_plan_says_why_it_waits(app, world):
    sid, mid = _accepted(world)
    chair = signed_in(app, "chair")
    html = chair.get(f"/meetings/{mid}/situations/{sid}").get_data(as_text=True)
    assert _primary(html) == ["Grant disclosure"]
    plan = _step(html, "plan")
    assert "lead_agency_id" not in plan  # no plan form before disclosure...
    assert "Grant disclosure first" in plan  # ...but the reason it waits
    assert "unticking one revokes nothing" in _step(html, "disclose")


def test_a_disclosure_error_keeps_the_ticks_and_is_linked_from_a_summary(app, world):
    sid, mid = _accepted(world)
    item = f"/meetings/{mid}/situations/{sid}"
    chair = signed_in(app, "chair")
    chair.post(item + "/disclose", {"agency_ids": [str(world.agencies["cmha"])],
                                    "legal_basis": "phipa_40_1"})
    response = chair.post(item + "/disclose", {"step": "disclose", "legal_basis": "phipa_40_1",
                                               "agency_ids": [str(world.agencies["housing"]),
                                                              "999999"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert 'href="#agency_ids"' in summary
    disclose = _step(html, "disclose")
    granted = re.search(r'<input type="checkbox" checked disabled>[^<]*Mental Health', disclose)
    assert granted, "the agency already granted stays ticked"
    assert re.search(rf'value="{world.agencies["housing"]}" checked', disclose)
    assert not re.search(rf'value="{world.agencies["school"]}" checked', disclose)


def test_after_disclosure_lead_choices_are_the_granted_agencies_then_identity_then_plan(
        app, world):
    sid, mid = _accepted(world)
    item = f"/meetings/{mid}/situations/{sid}"
    chair = signed_in(app, "chair")
    assert chair.post(item + "/disclose", {"agency_ids": [str(world.agencies["cmha"])],
                                    "legal_basis": "phipa_40_1"}
                      ).status_code == 302
    html = chair.get(item).get_data(as_text=True)
    assert _primary(html) == ["Enter identity (not shown here)"]
    lead = re.search(r'<select id="lead_agency_id".*?</select>', html, re.S).group(0)
    assert re.findall(r'<option value="(\d+)"', lead) == [str(world.agencies["cmha"])]
    assert "agencies granted disclosure in step 1" in _step(html, "plan")
    assert chair.post(item + "/identity", {"person-0-name": "Guided Name"}).status_code == 302
    html = chair.get(item).get_data(as_text=True)
    assert _primary(html) == ["Record the plan"]
    # An error in the plan keeps the assisting ticks and says where it is.
    response = chair.post(item + "/plan", {"lead_agency_id": str(world.agencies["cmha"]),
                                           "assisting_agency_ids-shown": "1",
                                           "assisting_agency_ids": [
                                               str(world.agencies["housing"])],
                                           "task-0-agency_id": str(world.agencies["housing"]),
                                           "task-0-description": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#task-0-description"' in html
    assert re.search(rf'name="assisting_agency_ids" value="{world.agencies["housing"]}" checked',
                     html)


def test_first_contact_field_names_a_rule_only_when_the_pack_has_one(app, world):
    sid, mid = _accepted(world)
    item = f"/meetings/{mid}/situations/{sid}"
    chair = signed_in(app, "chair")
    chair.post(item + "/disclose", {"agency_ids": [str(world.agencies["cmha"])],
                                    "legal_basis": "phipa_40_1"})
    html = chair.get(item).get_data(as_text=True)
    assert "first-contact deadline" in html  # Ontario: two business days after acceptance
    assert re.search(r'id="first_contact_due"[^>]*value="\d{4}-', html)

    other = submitted(world, by="hospital")
    with world.runtime.command() as s:
        table = s.get(Table, world.table_id)
        table.rule_pack_name, table.country, table.subdivision = (
            "vn-gbv-child-protection", "VN", None)
    with world.runtime.command() as s:
        situations.accept(s, world.user(s, "chair"), other, mid)
        interventions.disclose(s, world.user(s, "chair"), other, [world.agencies["cmha"]],
                               basis="child_law_2016")
    html = chair.get(f"/meetings/{mid}/situations/{other}").get_data(as_text=True)
    plan = _step(html, "plan")
    assert "first_contact_due" in plan and "rule" not in plan.lower()
    assert re.search(r'id="first_contact_due"[^>]*value=""', plan)


def test_a_refused_closure_shows_its_reason_at_the_tasks(app, world):
    sid, mid = in_intervention(world)
    item = f"/meetings/{mid}/situations/{sid}"
    chair = signed_in(app, "chair")  # the task is still open: the pack refuses the closure
    response = chair.post(item + "/close", {"conclusion_reason": "lowered_connected"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    tasks = re.search(r'<section id="tasks".*?</section>', html, re.S).group(0)
    assert 'id="tasks-error"' in tasks and 'href="#tasks"' in html
    with world.runtime.read() as s:
        assert s.get(Situation, sid).stage != "closed"


def test_attendance_errors_are_tied_to_their_boxes_and_all_present_is_one_step(
        app, runtime, world):
    sid = submitted(world)
    chair = signed_in(app, "chair")
    mid = int(chair.get(f"/meeting/table/{world.table_id}").headers["Location"].rsplit("/", 1)[1])
    assert chair.post(f"/meetings/{mid}/open").status_code == 302
    police, cas = world.agencies["police"], world.agencies["cas"]
    response = chair.post(f"/meetings/{mid}/attendance", {
        f"present-{police}": "yes", f"present-{cas}": "yes"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for agency in (police, cas):  # every agency's error at once, each at its box
        box = re.search(rf'<input type="checkbox" id="ack-{agency}"[^>]*>', html).group(0)
        assert f'aria-describedby="confidentiality ack-{agency}-error"' in box
        assert f'id="ack-{agency}-error"' in html and f'href="#ack-{agency}"' in html
    assert chair.post(f"/meetings/{mid}/attendance", {"all": "yes"}).status_code == 302
    with runtime.read() as s:
        rows = s.scalars(select(Attendance).where(Attendance.meeting_id == mid)).all()
        assert len(rows) == 6 and all(r.present and r.confidentiality_ack for r in rows)
    assert sid


def test_projector_has_no_personal_controls_and_puts_lead_and_summary_first(app, world):
    sid, mid = in_intervention(world)
    chair = signed_in(app, "chair")
    html = chair.get(f"/meetings/{mid}/projector/{sid}").get_data(as_text=True)
    for control in ("/account/password", "/logout", "/language", "Large type"):
        assert control not in html, control
    lead, summary, facts = (html.index("Lead"), html.index("Adult, recent eviction"),
                            html.index('<dl class="facts">'))
    assert lead < summary < facts


def test_person_count_field_has_real_min_and_max(app, world):
    html = signed_in(app, "school").get("/situations/new").get_data(as_text=True)
    field = re.search(r'<input id="persons_count"[^>]*>', html).group(0)
    assert 'min="1"' in field and 'max="50"' in field and "&#34;" not in field
