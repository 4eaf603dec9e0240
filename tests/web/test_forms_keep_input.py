"""Bad input on the smaller forms comes back on the same page, beside the field it is about,
with what was typed kept and nothing saved: never a 500, never a dead-end page, never a
silent default or a silently cut text (found by a review of every form, session 10)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from support.factories import in_intervention, open_meeting, submitted

from web.conftest import signed_in
from web.test_api_helpers import DRAFT, error_of, make_api
from workflow import situations
from workflow.models import Attendance, ReportBack, Situation


def _error_near(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="{re.escape(field)}-error">(.*?)</p>', html, re.S)
    assert found, f"no error shown next to {field}"
    return re.sub(r"<[^>]+>", "", found.group(1))


@pytest.mark.parametrize("hours", ["100000000", "1e300", "inf", "-5", "abc", "1.5", "337"])
def test_a_round_of_hours_no_calendar_holds_is_a_field_error(app, world, hours):
    sid = submitted(world)
    chair = signed_in(app, "chair")
    response = chair.post("/rounds", {"situation_ids": [str(sid)], "hours": hours})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "hours" in _error_near(html, "hours")
    assert f'value="{hours}"' in html  # kept
    assert re.search(rf'value="{sid}" id="sit-{sid}" checked', html)  # the choice kept too


def test_a_round_without_a_situation_is_refused_at_the_situations(app, world):
    submitted(world)
    chair = signed_in(app, "chair")
    response = chair.post("/rounds", {"hours": "24"})
    assert response.status_code == 400
    assert "at least one situation" in _error_near(response.get_data(as_text=True),
                                                   "situation_ids")


def test_an_unanswered_round_question_is_refused_in_its_own_form(app, world):
    sid = submitted(world)
    chair = signed_in(app, "chair")
    assert chair.post("/rounds", {"situation_ids": [str(sid)]}).status_code == 302
    page = signed_in(app, "cmha").get("/rounds").get_data(as_text=True)
    rid = re.search(rf"/rounds/(\d+)/answers/{sid}", page).group(1)
    response = signed_in(app, "cmha").post(f"/rounds/{rid}/answers/{sid}", {})
    assert response.status_code == 400
    assert "acutely elevated risk" in _error_near(response.get_data(as_text=True),
                                                  f"aer-{rid}-{sid}")


def test_a_follow_up_refused_by_the_core_comes_back_on_the_follow_up_page(app, world):
    sid = submitted(world)
    response = signed_in(app, "cmha").post(f"/follow-ups/{sid}", {"answer": "zz"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Follow-up after closure" in html
    # No follow-up of this situation is on the page: the refusal is the form's, not a link
    # to a field that is not there.
    assert 'class="error-summary"' in html and f'href="#answer-{sid}"' not in html


def test_equity_answers_without_consent_come_back_with_the_answers_chosen(app, world):
    sid = submitted(world)
    response = signed_in(app, "school").post(f"/situations/{sid}/equity", {"race": "black"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "consent" in _error_near(html, "eq-consent")
    assert 'value="black" selected' in html


def test_a_report_back_must_answer_both_questions(app, world):
    sid, _mid = in_intervention(world)
    cmha = signed_in(app, "cmha")
    for sent in ({}, {"first_contact_made": "yes", "still_aer": "maybe"},
                 {"still_aer": "no"}):
        response = cmha.post(f"/situations/{sid}/report-back", {"progress_note": "Visited",
                                                                 **sent})
        html = response.get_data(as_text=True)
        assert response.status_code == 400, sent
        if sent.get("still_aer") != "no":
            assert "still acutely elevated" in _error_near(html, "still_aer")
        if sent.get("first_contact_made") != "yes":
            assert "first contact" in _error_near(html, "first_contact_made")
    with world.runtime.read() as s:
        assert s.scalar(select(func.count()).select_from(ReportBack)) == 0
    assert cmha.post(f"/situations/{sid}/report-back",
                     {"first_contact_made": "yes", "still_aer": "yes"}).status_code == 302
    with world.runtime.read() as s:
        assert s.scalars(select(ReportBack.still_aer)).all() == [True]


def test_a_report_back_at_the_meeting_must_answer_both_questions(app, world):
    sid, mid = in_intervention(world)
    response = signed_in(app, "chair").post(
        f"/meetings/{mid}/situations/{sid}/report-back", {"progress_note": "Visited"})
    assert response.status_code == 400
    assert _error_near(response.get_data(as_text=True), "still_aer")
    with world.runtime.read() as s:
        assert s.scalar(select(func.count()).select_from(ReportBack)) == 0


def test_a_draft_saved_from_a_stale_page_does_not_undo_a_newer_save(app, world):
    with world.runtime.command() as s:
        from support.factories import filter1
        sid = situations.draft(s, world.user(s, "school"), world.table_id, filter1()).id
    tab_a, tab_b = signed_in(app, "school"), signed_in(app, "school")
    form = tab_b.get(f"/situations/{sid}/edit").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', form).group(1)
    fields = {"situation_type": "person", "age_group": "25-29", "gender": "female",
              "risk_factors": ["mental_health.diagnosed"],
              "aer_reasons": ["mental_health.diagnosed"]}
    assert tab_a.post(f"/situations/{sid}/edit", {**fields, "summary": "tab A summary",
                                                  "version": version}).status_code == 302
    stale = tab_b.post(f"/situations/{sid}/edit", {**fields, "summary": "tab B summary",
                                                   "version": version})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Someone saved this draft" in html
    assert "tab B summary" in html  # what tab B typed is still there to save again
    with world.runtime.read() as s:
        assert s.get(Situation, sid).summary == "tab A summary"
    newer = re.search(r'name="version" value="(\d+)"', html).group(1)
    assert newer != version
    assert tab_b.post(f"/situations/{sid}/edit", {**fields, "summary": "tab B summary",
                                                  "version": newer}).status_code == 302
    with world.runtime.read() as s:
        assert s.get(Situation, sid).summary == "tab B summary"


def test_a_rejection_note_too_long_is_refused_not_cut(app, world):
    sid = submitted(world)
    mid = open_meeting(world)
    response = signed_in(app, "chair").post(
        f"/meetings/{mid}/situations/{sid}/decide",
        {"decision": "reject", "rejection_reason": "other", "rejection_note": "x" * 1001})
    assert response.status_code == 400
    assert "1000" in _error_near(response.get_data(as_text=True), "rejection_note")
    with world.runtime.read() as s:
        assert s.get(Situation, sid).stage != "rejected"


def test_an_apology_too_long_is_refused_not_cut(app, world):
    mid = open_meeting(world)
    police = world.agencies["police"]
    cmha = world.agencies["cmha"]
    response = signed_in(app, "chair").post(f"/meetings/{mid}/attendance",
                                            {f"present-{cmha}": "yes", f"ack-{cmha}": "yes",
                                             f"apologies-{police}": "y" * 1001})
    assert response.status_code == 400
    assert "1000" in _error_near(response.get_data(as_text=True), f"apologies-{police}")
    with world.runtime.read() as s:
        notes = s.scalars(select(Attendance.apologies_note)).all()
        assert all(len(n or "") < 1001 for n in notes)


def test_withdrawing_for_another_reason_asks_for_its_note_and_shows_it(app, world):
    sid = submitted(world)
    school = signed_in(app, "school")
    refused = school.post(f"/situations/{sid}/withdraw", {"withdrawal_reason": "other"})
    assert refused.status_code == 400
    assert "other" in _error_near(refused.get_data(as_text=True), "withdrawal_note")
    with world.runtime.read() as s:
        assert s.get(Situation, sid).stage != "withdrawn"
    assert school.post(f"/situations/{sid}/withdraw",
                       {"withdrawal_reason": "other",
                        "withdrawal_note": "Family moved out of the region"}).status_code == 302
    page = school.get(f"/situations/{sid}").get_data(as_text=True)
    assert "Withdrawn because" in page and "Family moved out of the region" in page


def test_api_refusals_before_any_view_are_json_and_name_the_body_fields(app, runtime, world):
    api = make_api(app, runtime, world)
    for path in ("/situations/0", "/situations/99999999999999"):
        missing = api.get(path, agency="school")
        assert missing.status_code == 404 and error_of(missing)
    form = api.post("/situations", raw="table=PEEL", agency="school",
                    headers={"Content-Type": "application/x-www-form-urlencoded",
                             **api.headers("school")})
    assert form.status_code == 400 and "JSON" in error_of(form)["message"]
    bad = api.post("/situations", {**DRAFT, "earlier_check": {"name": "A B",
                                                              "birth_date": "23/11/1987"}},
                   agency="school")
    assert bad.status_code == 400
    assert error_of(bad)["field"] == "earlier_check.birth_date"


def test_attendance_with_no_agency_present_is_refused_not_recorded(app, world):
    mid = open_meeting(world)
    with world.runtime.read() as s:
        before = s.scalar(select(func.count()).select_from(Attendance).where(
            Attendance.present.is_(True)))
    response = signed_in(app, "chair").post(f"/meetings/{mid}/attendance", {})
    assert response.status_code == 400
    assert "at least one" in response.get_data(as_text=True)
    with world.runtime.read() as s:
        assert s.scalar(select(func.count()).select_from(Attendance).where(
            Attendance.present.is_(True))) == before
