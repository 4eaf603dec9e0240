"""The round pages and API calls: the chair opens and reads minutes, members answer; the
follow-up is one short form and one API call. Refusals are clear 4xx, never a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from support.factories import in_intervention, submitted
from web.conftest import signed_in
from web.test_api_helpers import error_of, make_api

from workflow import interventions
from workflow.models import DecisionRound, FollowUp, Situation, utcnow

MEMBERS = ("police", "cas", "school", "hospital", "cmha", "housing")


@pytest.fixture
def client_for(app, world):
    def make(key):
        return signed_in(app, key)
    return make


def test_a_round_runs_through_its_pages(app, world, client_for):
    sid = submitted(world)
    chair = client_for("chair")
    page = chair.get("/rounds").get_data(as_text=True)
    assert "Open a round" in page and f'value="{sid}"' in page
    assert chair.post("/rounds", {"situation_ids": [str(sid)], "hours": "24"}).status_code == 302
    with world.runtime.read() as s:
        rid = s.scalar(select(DecisionRound.id))
    for slug in MEMBERS:
        member = client_for(slug)
        page = member.get("/rounds").get_data(as_text=True)
        assert "Acutely elevated risk?" in page
        assert "Adult, recent eviction" not in page  # the summary stays with the record
        answered = member.post(f"/rounds/{rid}/answers/{sid}",
                               {"aer": "yes", "contributes": ["housing"],
                                "needed_at_filter_3": "yes"})
        assert answered.status_code == 302, slug
    minutes = chair.get(f"/rounds/{rid}").get_data(as_text=True)
    assert "accepted" in minutes and "every member answered" in minutes
    assert client_for("outsider").post(f"/rounds/{rid}/answers/{sid}",
                                       {"aer": "yes"}).status_code in (403, 404, 409)
    assert client_for("cmha").get(f"/rounds/{rid}").status_code == 403
    assert client_for("cmha").post(f"/rounds/{rid}/answers/{sid}", {}).status_code in (400, 409)


def test_the_pages_speak_vietnamese(app, world, client_for):
    sid = submitted(world)
    chair = client_for("chair")
    chair.post("/language", {"language": "vi"})
    page = chair.get("/rounds").get_data(as_text=True)
    assert "Vòng quyết định" in page and f'value="{sid}"' in page


def test_the_api_answers_a_round_and_records_a_follow_up(app, runtime, world):
    api = make_api(app, runtime, world)
    sid = submitted(world)
    with world.runtime.command() as s:
        from workflow import rounds
        rid = rounds.open_round(s, world.user(s, "chair"), [sid]).id
    listed = api.get("/rounds", agency="cmha").get_json()
    assert listed["rounds"][0]["situation_ids"] == [sid]
    ok = api.post(f"/rounds/{rid}/answers", {"situation_id": sid, "aer": True,
                                            "contributes": ["housing"]}, agency="cmha")
    assert ok.status_code == 200 and ok.get_json()["round_status"] == "open"
    bad = api.post(f"/rounds/{rid}/answers", {"situation_id": sid, "aer": "yes"},
                   agency="cmha")
    assert bad.status_code == 400 and error_of(bad)["field"] == "aer"
    refused = api.post(f"/rounds/{rid}/answers", {"situation_id": sid, "aer": True},
                       agency="outsider")
    assert refused.status_code == 403

    closed, _ = in_intervention(world, now=utcnow() - timedelta(days=100))
    with world.runtime.command() as s:
        for task in s.get(Situation, closed).tasks:
            interventions.update_task(s, world.user(s, "housing"), task.id, status="done")
        interventions.close(s, world.user(s, "chair"), closed,
                            conclusion_reason="lowered_informed")
    said = api.post(f"/situations/{closed}/follow-up", {"answer": "yes"}, agency="cmha")
    assert said.status_code == 200 and said.get_json()["answer"] == "yes"
    wrong = api.post(f"/situations/{closed}/follow-up", {"answer": "perhaps"}, agency="cmha")
    assert wrong.status_code == 400
    with world.runtime.read() as s:
        assert s.scalar(select(FollowUp.answer).where(FollowUp.situation_id == closed)) == "yes"


def test_the_presenting_agency_records_equity_answers_with_consent_only(app, world, client_for):
    sid = submitted(world)
    school = client_for("school")
    page = school.get(f"/situations/{sid}/equity").get_data(as_text=True)
    assert "Self-identified equity data" in page
    refused = school.post(f"/situations/{sid}/equity", {"race": "black"})
    assert refused.status_code in (400, 409)
    assert school.post(f"/situations/{sid}/equity",
                       {"race": "black", "consent": "yes"}).status_code == 302
    assert 'value="black" selected' in school.get(f"/situations/{sid}/equity").get_data(
        as_text=True)
    for other in ("cmha", "chair"):
        assert client_for(other).get(f"/situations/{sid}/equity").status_code == 403
