"""POST/GET /api/v1/situations: an agency's system drafts, submits and follows a situation."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from support.factories import in_intervention, submitted

from web.test_api_helpers import DRAFT, Api, error_of, make_api
from workflow.api_actor import api_email
from workflow.models import AuditEntry, Situation, User


@pytest.fixture
def api(app, runtime, world) -> Api:
    return make_api(app, runtime, world)


MIN_FACTORS_EN = ("Record at least two risk factors: acutely elevated risk spans several risk "
                  "factors.")


def _count_situations(world) -> int:
    with world.runtime.read() as s:
        return s.scalar(select(func.count(Situation.id))) or 0


def test_create_and_submit_in_one_call_puts_it_on_the_next_agenda(api, world):
    response = api.post("/situations", {**DRAFT, "submit": True}, agency="school")

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["stage"] == "on_agenda"
    assert body["ref"].startswith("PEEL-")
    assert body["table"]["code"] == "PEEL"
    assert body["my_agency_roles"] == ["originating"]
    assert body["next_meeting"]["status"] == "planned"
    assert body["dates"]["submitted_at"] is not None
    assert body["facts"]["risk_factors"] == DRAFT["risk_factors"]
    assert response.headers["Location"] == f"/api/v1/situations/{body['id']}"

    again = api.get(f"/situations/{body['id']}", agency="school")
    assert again.status_code == 200
    assert again.get_json() == body


def test_draft_then_submit_and_a_second_submit_is_a_conflict(api, world):
    created = api.post("/situations", DRAFT, agency="school").get_json()
    assert created["stage"] == "draft"
    assert created["next_meeting"] is None

    submitted_ = api.post(f"/situations/{created['id']}/submit", agency="school")
    assert submitted_.status_code == 200, submitted_.get_json()
    assert submitted_.get_json()["stage"] == "on_agenda"

    twice = api.post(f"/situations/{created['id']}/submit", agency="school")
    assert twice.status_code == 409
    # the refusal says where the situation is and what to do instead
    assert "on the agenda: present it" in error_of(twice)["message"]


def test_submit_with_a_stale_version_is_a_conflict_naming_the_version(api, world):
    created = api.post("/situations", DRAFT, agency="school").get_json()
    stale = api.post(f"/situations/{created['id']}/submit", {"version": created["version"] + 1},
                     agency="school")
    assert stale.status_code == 409
    assert error_of(stale)["field"] == "version"
    fresh = api.post(f"/situations/{created['id']}/submit", {"version": created["version"]},
                     agency="school")
    assert fresh.status_code == 200


def test_the_commands_are_audited_as_the_agencys_api_user(api, world):
    created = api.post("/situations", {**DRAFT, "submit": True}, agency="school").get_json()
    with world.runtime.read() as s:
        user = s.scalar(select(User).where(User.email == api_email(world.agency(s, "school"))))
        actions = set(s.scalars(select(AuditEntry.action).where(
            AuditEntry.situation_id == created["id"], AuditEntry.actor_id == user.id)))
        assert user.role == "agency_rep" and user.agency_id == world.agencies["school"]
        situation = s.get(Situation, created["id"])
        assert situation.created_by_id == user.id
        assert situation.originating_agency_id == world.agencies["school"]
    assert {"situation.draft", "situation.submit"} <= actions


def test_fewer_than_two_risk_factors_is_refused_by_the_rule_pack_and_leaves_nothing(api, world):
    body = {**DRAFT, "risk_factors": ["housing.transient"], "aer_reasons": [], "submit": True}
    refused = api.post("/situations", body, agency="school")

    assert refused.status_code == 422
    error = error_of(refused)
    assert MIN_FACTORS_EN in error["messages"]
    assert MIN_FACTORS_EN in error["message"]
    assert _count_situations(world) == 0  # one request, one transaction: no draft left behind


def test_submitting_a_draft_the_rules_refuse_keeps_it_a_draft(api, world):
    body = {**DRAFT, "risk_factors": ["housing.transient"], "aer_reasons": []}
    created = api.post("/situations", body, agency="school").get_json()
    refused = api.post(f"/situations/{created['id']}/submit", agency="school")
    assert refused.status_code == 422
    assert error_of(refused)["messages"] == [MIN_FACTORS_EN]
    assert api.get(f"/situations/{created['id']}", agency="school").get_json()["stage"] == "draft"


def test_an_incomplete_checklist_is_refused_at_submit_naming_the_question(api, world):
    body = {**DRAFT, "options_exhausted": None, "submit": True}
    refused = api.post("/situations", body, agency="school")
    assert refused.status_code == 400
    assert error_of(refused)["field"] == "options_exhausted"


def test_another_agencys_situation_is_not_found(api, world):
    sid = submitted(world, by="school")
    for agency in ("police", "outsider"):  # same table, not involved; another table
        hidden = api.get(f"/situations/{sid}", agency=agency)
        assert hidden.status_code == 404
        assert error_of(hidden)["message"] == f"no situation {sid} that you may see"
        assert api.post(f"/situations/{sid}/submit", agency=agency).status_code == 404
        assert api.get("/situations", agency=agency).get_json()["count"] == 0
    missing = api.get("/situations/999999", agency="school")  # hidden looks like missing
    assert missing.status_code == 404
    assert error_of(missing)["message"] == "no situation 999999 that you may see"


def test_a_table_the_agency_does_not_sit_at_is_forbidden(api, world):
    refused = api.post("/situations", {**DRAFT, "table": "OTHER"}, agency="school")
    assert refused.status_code == 403
    assert error_of(refused)["field"] == "table"
    by_id = api.post("/situations", {**DRAFT, "table": world.table_id}, agency="school")
    assert by_id.status_code == 201


def test_my_agencys_list_shows_how_we_know_each_situation(api, world):
    sid, _ = in_intervention(world)  # presented by school; CMHA leads; housing assists
    own = api.post("/situations", DRAFT, agency="school").get_json()

    school = api.get("/situations", agency="school").get_json()
    assert [s["id"] for s in school["situations"]] == [own["id"], sid]
    assert school["situations"][1]["my_agency_roles"] == ["originating", "granted"]
    cmha = api.get("/situations", agency="cmha").get_json()["situations"]
    assert [(s["id"], s["my_agency_roles"]) for s in cmha] == [(sid, ["lead", "granted"])]
    housing = api.get("/situations", agency="housing").get_json()["situations"]
    assert housing[0]["my_agency_roles"] == ["assisting", "granted"]
    assert housing[0]["stage"] == "intervention"
    assert housing[0]["first_contact_due"] is not None

    drafts = api.get("/situations?stage=draft", agency="school").get_json()
    assert [s["id"] for s in drafts["situations"]] == [own["id"]]
    bad = api.get("/situations?stage=limbo", agency="school")
    assert bad.status_code == 400 and error_of(bad)["field"] == "stage"


def test_my_agencys_list_comes_in_pages(api, world):
    ids = [api.post("/situations", DRAFT, agency="school").get_json()["id"] for _ in range(5)]
    newest_first = list(reversed(ids))
    seen, offset = [], 0
    while offset is not None:
        page = api.get(f"/situations?limit=2&offset={offset}", agency="school").get_json()
        assert page["count"] == len(page["situations"]) <= 2
        seen += [s["id"] for s in page["situations"]]
        offset = page["next_offset"]
    assert seen == newest_first
    assert api.get("/situations", agency="school").get_json()["next_offset"] is None
    for query, field in (("limit=0", "limit"), ("limit=501", "limit"), ("limit=ten", "limit"),
                         ("offset=-1", "offset")):
        bad = api.get(f"/situations?{query}", agency="school")
        assert bad.status_code == 400, query
        assert error_of(bad)["field"] == field
