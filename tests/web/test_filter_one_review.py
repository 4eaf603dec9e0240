"""Filter 1 review: identity typed into a de-identified summary is caught before it is shared
(on the page and through the API alike, naming the kinds found, never the text), while the
ordinary words of a summary (an age group, a meeting's date, a count, a hotline) pass."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from web.conftest import signed_in
from web.test_api_helpers import DRAFT, error_of, make_api
from workflow.deidentified import identifying_kinds
from workflow.models import AuditEntry, Situation

IDENTIFYING = [
    ("Nguyễn Văn An, sinh 12/03/2010, 0912 345 678", {"name", "birth_date", "phone_or_id"}),
    ("Youth lives at 42 King St W with an aunt", {"address"}),
    ("DOB 2010-03-12, known to the school", {"birth_date"}),
    ("OHIP 1234-567-890 on file", {"phone_or_id"}),
    ("Mother reachable at an.nguyen@example.com", {"email"}),
    ("Mr. Smith refuses all services", {"name"}),
    ("sống tại số nhà 45, chị Lan nhờ giúp", {"address", "name"}),
    ("CCCD 092301001234; thẻ BHYT DN4797915383893", {"phone_or_id"}),
    ("born on 3 March 2010, call (905) 555-0123", {"birth_date", "phone_or_id"}),
]
ORDINARY = [
    "Age group 12-15, 2 children in the home, police called 3 times in 12 months.",
    "Met on 2024-05-01 at the school; next review 12/03/2024.",
    "Mother called hotline 111 and 18008065; family in Thành phố Hồ Chí Minh before.",
    "Hội Liên hiệp Phụ nữ và Công an xã đã hỗ trợ; trẻ em gái 12-15 tuổi, nợ 100.000.000 đồng.",
    "Đường dây nóng 111; UBND xã, Trung tâm Công tác xã hội; em Trường THCS.",
    "Adult, recent eviction, not in care.",
]


@pytest.mark.parametrize("text, kinds", IDENTIFYING)
def test_identity_in_free_text_is_found_by_kind(text, kinds):
    assert set(identifying_kinds(text)) == kinds


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_de_identified_words_are_not_flagged(text):
    assert identifying_kinds(text) == ()


def _count(world) -> int:
    with world.runtime.read() as s:
        return s.scalar(select(func.count(Situation.id))) or 0


FORM = {"situation_type": "person", "age_group": "12-15", "gender": "male",
        "risk_factors": ["mental_health.diagnosed", "housing.transient"],
        "aer_reasons": ["mental_health.diagnosed"], "persons_count": "1",
        "action": "save"}
TYPED = "Nguyễn Văn An, sinh 12/03/2010, 0912 345 678"


def test_the_page_warns_before_saving_a_summary_that_identifies_and_saves_once_confirmed(
        app, world):
    school = signed_in(app, "school")
    before = _count(world)
    form = {**FORM, "table_id": str(world.table_id), "summary": TYPED}
    warned = school.post("/situations/new", form)
    html = warned.get_data(as_text=True)
    assert warned.status_code == 400
    assert 'id="confirm_deidentified-error"' in html and 'name="confirm_deidentified"' in html
    assert "a name" in html and "a birth date" in html and "a phone, card or ID number" in html
    assert _count(world) == before  # nothing saved, so nothing shared
    saved = school.post("/situations/new", {**form, "confirm_deidentified": "yes"})
    assert saved.status_code == 302 and _count(world) == before + 1
    with world.runtime.read() as s:  # the warning never went to the audit log
        details = [str(d) for d in s.scalars(select(AuditEntry.detail))]
        assert not any("0912" in d or "Nguyễn" in d for d in details)


def test_editing_a_draft_warns_too(app, world):
    school = signed_in(app, "school")
    created = school.post("/situations/new", {**FORM, "table_id": str(world.table_id),
                                              "summary": "Youth, school refusal."})
    sid = int(created.headers["Location"].rstrip("/").split("/")[-2])
    with world.runtime.read() as s:
        version = s.get(Situation, sid).version
    warned = school.post(f"/situations/{sid}/edit",
                         {**FORM, "summary": "lives at 42 King St W", "version": str(version)})
    assert warned.status_code == 400 and "an address" in warned.get_data(as_text=True)
    with world.runtime.read() as s:
        assert s.get(Situation, sid).summary == "Youth, school refusal."


def test_an_ordinary_summary_saves_without_a_warning(app, world):
    school = signed_in(app, "school")
    response = school.post("/situations/new", {**FORM, "table_id": str(world.table_id),
                                               "summary": ORDINARY[0]})
    assert response.status_code == 302


def test_the_api_gives_the_same_warning_and_the_same_way_past_it(app, runtime, world):
    api = make_api(app, runtime, world)
    before = _count(world)
    refused = api.post("/situations", {**DRAFT, "summary": TYPED}, agency="school")
    assert refused.status_code == 400
    error = error_of(refused)
    assert error["field"] == "summary"
    assert "a name, a birth date, a phone, card or ID number" in error["message"]
    assert "0912" not in error["message"] and "Nguyễn" not in error["message"]
    assert _count(world) == before
    bad = api.post("/situations", {**DRAFT, "summary": TYPED, "confirm_deidentified": "yes"},
                   agency="school")
    assert bad.status_code == 400 and error_of(bad)["field"] == "confirm_deidentified"
    created = api.post("/situations", {**DRAFT, "summary": TYPED, "confirm_deidentified": True},
                       agency="school")
    assert created.status_code == 201, created.get_json()


def test_a_rejected_situation_can_be_presented_again_from_its_page(app, world):
    from support.factories import open_meeting, submitted

    from workflow import situations
    sid = submitted(world)
    mid = open_meeting(world)
    with world.runtime.command() as s:
        situations.reject(s, world.user(s, "chair"), sid, mid, "not_aer")
    school = signed_in(app, "school")
    page = school.get(f"/situations/{sid}").get_data(as_text=True)
    assert f'action="/situations/{sid}/re-present"' in page
    again = school.post(f"/situations/{sid}/re-present")
    assert again.status_code == 302
    new_id = int(again.headers["Location"].rstrip("/").split("/")[-2])
    with world.runtime.read() as s:
        fresh = s.get(Situation, new_id)
        assert fresh.stage == "draft" and fresh.previous_situation_id == sid
    shown = school.get(f"/situations/{new_id}").get_data(as_text=True)
    assert f'href="/situations/{sid}"' in shown
    # only the originating agency re-presents, and only a finished situation
    assert f"/situations/{sid}/re-present" not in signed_in(app, "police").get(
        f"/situations/{new_id}").get_data(as_text=True)
    assert signed_in(app, "police").post(f"/situations/{sid}/re-present").status_code in (
        403, 404)
    assert school.post(f"/situations/{new_id}/re-present").status_code == 400
