"""Bad input is a clear 4xx and changes nothing; it never answers 500 (both databases)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from support.factories import in_intervention, open_meeting, submitted
from web.test_api_helpers import DRAFT, make_api

from tests.hardening.conftest import Web, signed_in
from workflow import interventions, situations
from workflow.identity import Identity, Person
from workflow.models import Agency, Situation, Table, Task, User


def _count(world, model) -> int:
    with world.runtime.read() as s:
        return s.scalar(select(func.count(model.id))) or 0


@pytest.fixture
def api(app, runtime, world):
    return make_api(app, runtime, world)


# -- integers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    "/situations/99999999999999999999", "/situations/2147483648", "/situations/%C2%B2",
    "/situations?offset=99999999999999999999", "/situations?offset=2147483648",
    "/situations?limit=%C2%B2", "/situations?offset=%D9%A3",
])
def test_api_ids_and_offsets_beyond_range_are_4xx(api, path):
    response = api.get(path, agency="school")
    assert 400 <= response.status_code < 500, (path, response.status_code)


@pytest.mark.parametrize("path", [
    "/situations/99999999999999999999", "/situations/2147483648",
    "/meetings/2147483648/situations/2147483648", "/dashboard?table=%C2%B2",
    "/dashboard?table=99999999999999999999",
])
def test_page_ids_beyond_range_are_4xx_or_ignored(app, path):
    response = signed_in(app, "chair").get(path)
    assert response.status_code in (200, 404), (path, response.status_code)


@pytest.mark.parametrize("persons", ["²", "99999999999999999999", "٣"])
def test_unicode_and_huge_digits_in_a_form_are_a_field_error(app, world, persons):
    web = signed_in(app, "school")
    response = web.post("/situations/new", {
        "table_id": str(world.table_id), "situation_type": "person", "age_group": "25-29",
        "gender": "female", "persons_count": persons})
    assert response.status_code == 400
    assert _count(world, Situation) == 0


def test_a_table_id_beyond_range_in_a_form(app, world):
    web = signed_in(app, "school")
    response = web.post("/situations/new", {
        "table_id": "2147483648", "situation_type": "person", "age_group": "25-29",
        "gender": "female"})
    assert response.status_code == 400


# -- JSON bodies ------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", [
    "[" * 100_000 + "]" * 100_000,
    '{"table": "PEEL", "persons_count": ' + "9" * 5000 + "}",
    '{"table": 99999999999999999999}',
    json.dumps({**DRAFT, "persons_count": 2**40}),
    json.dumps({**DRAFT, "summary": "a\ud800b"}),
    json.dumps({**DRAFT, "summary": "a\x00b"}),
    json.dumps({**DRAFT, "screening_answers": {f"q{i}": True for i in range(20_000)}}),
    json.dumps({**DRAFT, "table": ""}),
])
def test_hostile_json_bodies_are_400_and_nothing_is_stored(api, world, raw):
    response = api.post("/situations", raw=raw, agency="school")
    assert response.status_code in (400, 404, 422), (response.status_code, response.get_data())
    assert response.get_json()["error"]["message"]
    assert _count(world, Situation) == 0


# -- text no column can hold ------------------------------------------------------------------
@pytest.mark.parametrize("email", ["chair\x00@demo.hubtable.test", "x" * 100_000])
def test_login_with_a_nul_or_huge_email_is_a_4xx(app, email):
    web = Web(app.test_client())
    response = web.login(email, "whatever-password")
    assert 400 <= response.status_code < 500


def test_nul_in_a_form_field_is_400_and_nothing_is_stored(app, world):
    web = signed_in(app, "school")
    response = web.post("/situations/new", {
        "table_id": str(world.table_id), "situation_type": "person", "age_group": "25-29",
        "gender": "female", "summary": "before\x00after"})
    assert response.status_code == 400
    assert _count(world, Situation) == 0


# -- dates and long text ----------------------------------------------------------------------
def test_a_first_contact_date_in_year_9999_is_a_field_error(app, world):
    sid = submitted(world)
    mid = open_meeting(world)
    with world.runtime.command() as s:
        chair = world.user(s, "chair")
        situations.accept(s, chair, sid, mid)
        interventions.disclose(s, chair, sid, [world.agencies["cmha"]], basis="phipa_40_1",
                               vault=world.runtime.vault, meeting_id=mid,
                               identity=Identity([Person(name="N", birth_date="1999-04-01")]))
    web = signed_in(app, "chair")
    response = web.post(f"/meetings/{mid}/situations/{sid}/plan", {
        "lead_agency_id": str(world.agencies["cmha"]), "first_contact_due": "9999-12-31T10:00"})
    assert response.status_code == 400
    with world.runtime.read() as s:
        due = s.get(Situation, sid).first_contact_due  # the rules' default, not year 9999
        assert due is None or due.year < 9999


def test_a_megabyte_task_note_is_refused(app, world):
    sid, _mid = in_intervention(world)
    with world.runtime.read() as s:
        task_id = s.get(Situation, sid).tasks[0].id
    web = signed_in(app, "housing")
    response = web.post(f"/situations/{sid}/tasks/{task_id}", {
        f"task-{task_id}-status": "not_done", f"task-{task_id}-note": "x" * 1_900_000})
    assert response.status_code == 400
    with world.runtime.read() as s:
        assert len(s.get(Task, task_id).note or "") < 10_000


# -- administrator forms ----------------------------------------------------------------------
def _table_form(**overrides):
    form = {"code": "NEWT", "name": "New table", "country": "CA", "subdivision": "ON",
            "language": "en", "timezone": "America/Toronto", "meeting_weekday": "2",
            "meeting_time": "10:00", "meeting_place": "", "region": ""}
    form.update(overrides)
    return form


@pytest.mark.parametrize("overrides", [
    {"timezone": "Mars/Olympus"}, {"meeting_weekday": "9"}, {"language": "xx"},
    {"name": "n" * 100_000}, {"country": "ZZ"}, {"subdivision": "QQ"},
    {"meeting_place": "p" * 5000}, {"meeting_weekday": "²"},
])
def test_admin_table_form_refuses_bad_values(app, world, overrides):
    before = _count(world, Table)
    response = signed_in(app, "admin").post("/admin/tables", _table_form(**overrides))
    assert response.status_code == 400, overrides
    assert _count(world, Table) == before


def test_admin_schedule_refuses_an_unknown_time_zone(app, world):
    response = signed_in(app, "admin").post(f"/admin/tables/{world.table_id}", {
        "meeting_weekday": "1", "meeting_time": "10:00", "meeting_place": "",
        "timezone": "Mars/Olympus"})
    assert response.status_code == 400
    with world.runtime.read() as s:
        assert s.get(Table, world.table_id).timezone == "America/Toronto"


def test_admin_agency_form_with_repeated_and_unknown_tables(app, world):
    admin = signed_in(app, "admin")
    before = _count(world, Agency)
    response = admin.post("/admin/agencies", {
        "slug": "new-agency", "name": "New agency", "sector": "police", "language": "en",
        "table_ids": [str(world.table_id), str(world.table_id)]})
    assert response.status_code == 302
    assert _count(world, Agency) == before + 1
    response = admin.post("/admin/agencies", {
        "slug": "other-agency", "name": "Other", "sector": "police", "language": "en",
        "table_ids": ["999999"]})
    assert response.status_code == 400
    assert _count(world, Agency) == before + 1


@pytest.mark.parametrize("overrides", [
    {"display_name": "n" * 100_000}, {"language": "xx"}, {"email": "a@" + "b" * 300 + ".test"},
    {"agency_id": "2147483648"}, {"table_ids": ["999999"]},
])
def test_admin_user_form_refuses_bad_values(app, world, overrides):
    before = _count(world, User)
    form = {"email": "new@demo.hubtable.test", "display_name": "New", "password":
            "long-enough-password", "role": "chair", "agency_id": str(world.agencies["police"]),
            "language": "en", **overrides}
    response = signed_in(app, "admin").post("/admin/users", form)
    assert response.status_code == 400, overrides
    assert _count(world, User) == before
