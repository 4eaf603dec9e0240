"""Who may call the API and what it ever says: tokens, agency scope, and never identity."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support.factories import in_intervention, open_meeting, submitted

from web.test_api_helpers import DRAFT, Api, error_of, make_api
from workflow import directory, interventions, situations
from workflow.api_actor import api_actor, api_email
from workflow.identity import Identity, Person
from workflow.models import ApiToken, AuditEntry, Situation, User, utcnow


@pytest.fixture
def api(app, runtime, world) -> Api:
    return make_api(app, runtime, world)


MARKER = "Zebulon Quixwhistle-7731"

# Every route that needs a token, with a method and a path that would otherwise succeed or fail
# on its own merits.
PROTECTED = [
    ("GET", "/situations"),
    ("POST", "/situations"),
    ("GET", "/situations/1"),
    ("POST", "/situations/1/submit"),
    ("GET", "/tasks"),
    ("GET", "/reference"),
]


def _call(api, method, path, headers):
    if method == "GET":
        return api.get(path, headers=headers)
    return api.post(path, DRAFT, headers=headers)


@pytest.mark.parametrize(("headers", "says"), [
    ({}, "Authorization: Bearer TOKEN"),
    ({"Authorization": "Basic c2Nob29sOnB3"}, "must be 'Bearer TOKEN'"),
    ({"Authorization": "Bearer"}, "must be 'Bearer TOKEN'"),
    ({"Authorization": "Bearer ht_not-a-real-token"}, "unknown or was revoked"),
], ids=["no header", "basic auth", "no token", "unknown token"])
def test_every_endpoint_but_the_document_needs_a_valid_token(api, world, headers, says):
    for method, path in PROTECTED:
        refused = _call(api, method, path, headers or {"X-Nothing": "1"})
        assert refused.status_code == 401, (method, path)
        error = error_of(refused)
        assert says in error["message"]
        assert error["field"] == "Authorization"
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.get("/openapi.json", headers={"X-Nothing": "1"}).status_code == 200


def test_a_revoked_token_stops_working(api, world):
    assert api.get("/situations", agency="school").status_code == 200
    with world.runtime.command() as s:
        token = s.scalar(select(ApiToken).where(ApiToken.agency_id == world.agencies["school"]))
        token.revoked_at = utcnow()
    assert api.get("/situations", agency="school").status_code == 401


def test_the_api_user_is_created_once_and_can_never_sign_in(api, world):
    for _ in range(2):
        assert api.get("/situations", agency="school").status_code == 200
    with world.runtime.command() as s:
        email = api_email(world.agency(s, "school"))
        assert s.scalar(select(func.count(User.id)).where(User.email == email)) == 1
        assert api_actor(s, world.agency(s, "school")).email == email
        for guess in ("", "!api-token-only", "correct-horse-battery"):
            assert directory.authenticate(s, email, guess) is None


def test_an_administrator_can_switch_an_agencys_api_off_by_deactivating_its_user(api, world):
    assert api.get("/situations", agency="school").status_code == 200
    with world.runtime.command() as s:
        email = api_email(world.agency(s, "school"))
        s.scalar(select(User).where(User.email == email)).active = False
    refused = api.get("/situations", agency="school")
    assert refused.status_code == 403
    assert "disabled" in error_of(refused)["message"]
    assert api.get("/situations", agency="police").status_code == 200


def test_identity_never_appears_even_to_granted_agencies(api, world):
    sid, _ = in_intervention(world, identity_name=MARKER)
    with world.runtime.read() as s:  # the marker is really there, for the granted agencies
        cmha_rep = world.user(s, "cmha")
        situation = s.get(Situation, sid)
        read = world.runtime.vault.read(s, cmha_rep, situation)
        assert read.persons[0].name == MARKER

    for agency in ("cmha", "housing", "school", "police", "outsider"):
        answers = [api.get(path, agency=agency) for path in
                   ("/situations", f"/situations/{sid}", "/tasks", "/reference",
                    "/openapi.json")]
        answers.append(api.post(f"/situations/{sid}/submit", agency=agency))
        for answer in answers:
            assert MARKER.encode() not in answer.data, (agency, answer.request.path)
            assert b"12 Example Street" not in answer.data
            assert b"555 0100" not in answer.data
    granted = api.get(f"/situations/{sid}", agency="cmha").get_json()
    assert "granted" in granted["my_agency_roles"]  # the test asked as a granted agency
    with world.runtime.read() as s:  # nor did the API decrypt it and drop it on the way out
        api_users = select(User.id).where(User.email.like("api+%"))
        reads = s.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action.like("identity.%"), AuditEntry.actor_id.in_(api_users)))
        assert reads == 0


def test_open_tasks_list_my_agencys_work_soonest_first(api, world):
    now = utcnow()
    sid = submitted(world, by="school")
    mid = open_meeting(world)
    today = now.date()
    with world.runtime.command() as s:
        chair = world.user(s, "chair")
        housing, cmha = world.agencies["housing"], world.agencies["cmha"]
        situations.accept(s, chair, sid, mid)
        interventions.disclose(s, chair, sid, [cmha, housing],
                               basis="phipa_40_1", vault=world.runtime.vault,
                               meeting_id=mid,
                               identity=Identity([Person(name=MARKER, birth_date="1990-01-01",
                                                         address="1 Road", phone="555 0199")]))
        interventions.plan(s, chair, sid, lead_agency_id=cmha, assisting_agency_ids=[housing],
                           meeting_id=mid, tasks=[
                               interventions.TaskInput(housing, "No date yet"),
                               interventions.TaskInput(housing, "Late one",
                                                       today - timedelta(days=3)),
                               interventions.TaskInput(housing, "Next week",
                                                       today + timedelta(days=7)),
                               interventions.TaskInput(cmha, "Lead's own task"),
                           ])

    tasks = api.get("/tasks", agency="housing").get_json()
    assert [t["description"] for t in tasks["tasks"]] == ["Late one", "Next week", "No date yet"]
    assert [t["overdue"] for t in tasks["tasks"]] == [True, False, False]
    assert tasks["tasks"][0]["due_date"] == (today - timedelta(days=3)).isoformat()
    assert tasks["tasks"][0]["situation"]["id"] == sid
    assert [t["description"] for t in api.get("/tasks", agency="cmha").get_json()["tasks"]] == [
        "Lead's own task"]
    assert api.get("/tasks", agency="school").get_json() == {"tasks": [], "count": 0}


def test_reference_has_both_languages_and_the_rule_flags(api, world):
    ref = api.get("/reference", agency="school").get_json()
    ages = {a["code"]: a for a in ref["codes"]["age_groups"]}
    assert ages["12-15"]["child"] is True and ages["60+"]["labels"]["vi"] == "Từ 60 tuổi trở lên"
    factors = {f["code"] for c in ref["taxonomy"]["categories"] for f in c["factors"]}
    assert set(DRAFT["risk_factors"]) <= factors
    assert all(f["labels"]["en"] and f["labels"]["vi"]
               for c in ref["taxonomy"]["categories"] for f in c["factors"])
    assert {c["outcome"] for c in ref["codes"]["conclusion_reasons"]} == {
        "risk_lowered", "still_aer", "transferred"}


def test_posting_needs_no_csrf_token_though_the_app_protects_forms(api, world):
    app = api.client.application
    assert "csrf" in app.extensions and app.config.get("WTF_CSRF_ENABLED", True)
    assert api.post("/situations", DRAFT, agency="school").status_code == 201


def test_unknown_endpoints_and_methods_answer_in_json(api, world):
    missing = api.get("/nothing-here", agency="school")
    assert missing.status_code == 404
    assert "/api/v1/nothing-here" in error_of(missing)["message"]
    wrong = api.client.delete("/api/v1/situations", headers=api.headers("school"))
    assert wrong.status_code == 405
    assert wrong.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert "DELETE" in error_of(wrong)["message"]
