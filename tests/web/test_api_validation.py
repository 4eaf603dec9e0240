"""Every bad body is refused with 400, a message, and the field at fault; nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from web.test_api_helpers import DRAFT, Api, error_of, make_api
from workflow.models import Situation


@pytest.fixture
def api(app, runtime, world) -> Api:
    return make_api(app, runtime, world)


CASES = [
    # (what is wrong, changes to the valid body, keys to drop, the field named)
    ("no table", {}, ["table"], "table"),
    ("unknown table code", {"table": "NOWHERE"}, [], "table"),
    ("unknown table id", {"table": 424242}, [], "table"),
    ("table is a list", {"table": ["PEEL"]}, [], "table"),
    ("no situation type", {}, ["situation_type"], "situation_type"),
    ("unknown situation type", {"situation_type": "planet"}, [], "situation_type"),
    ("unknown age group", {"age_group": "7-9"}, [], "age_group"),
    ("age group not a string", {"age_group": 25}, [], "age_group"),
    ("unknown gender", {"gender": "f"}, [], "gender"),
    ("no risk factors field", {}, ["risk_factors"], "risk_factors"),
    ("unknown risk factor", {"risk_factors": ["housing.castle", "housing.transient"]}, [],
     "risk_factors"),
    ("risk factors not a list", {"risk_factors": "housing.transient"}, [], "risk_factors"),
    ("risk factor twice", {"risk_factors": ["housing.transient", "housing.transient"],
                           "aer_reasons": []}, [], "risk_factors"),
    ("AER reason not among the factors", {"aer_reasons": ["alcohol.person_use"]}, [],
     "aer_reasons"),
    ("summary too long", {"summary": "x" * 1001}, [], "summary"),
    ("summary not a string", {"summary": 12}, [], "summary"),
    ("no persons", {"persons_count": 0}, [], "persons_count"),
    ("persons as text", {"persons_count": "2"}, [], "persons_count"),
    ("persons as a boolean", {"persons_count": True}, [], "persons_count"),
    ("checklist answer as text", {"options_exhausted": "yes"}, [], "options_exhausted"),
    ("checklist answer as number", {"harm_probable_imminent": 1}, [], "harm_probable_imminent"),
    ("unknown consent", {"consent": "maybe"}, [], "consent"),
    ("unknown help source", {"help_source": "pigeon"}, [], "help_source"),
    ("screening answers not booleans", {"screening_answers": {"q1": "yes"}}, [],
     "screening_answers"),
    ("submit as text", {"submit": "yes"}, [], "submit"),
    ("a misspelt field", {"risk_factor": ["housing.transient"]}, [], "risk_factor"),
]


@pytest.mark.parametrize(("changes", "dropped", "field"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_each_bad_field_is_named(api, world, changes, dropped, field):
    body = {k: v for k, v in {**DRAFT, **changes}.items() if k not in dropped}
    refused = api.post("/situations", body, agency="school")
    assert refused.status_code == 400, refused.get_json()
    assert error_of(refused)["field"] == field
    with world.runtime.read() as s:
        assert s.scalar(select(func.count(Situation.id))) == 0


@pytest.mark.parametrize(("raw", "says"), [
    ("{not json", "not valid JSON"),
    ('{"table": "PEEL",}', "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('"PEEL"', "must be a JSON object"),
    ("", "body is empty"),
    (b"\xff\xfe{", "UTF-8"),
], ids=["garbage", "trailing comma", "array", "string", "empty", "not utf-8"])
def test_a_body_that_is_not_a_json_object_is_a_bad_request(api, world, raw, says):
    refused = api.post("/situations", raw=raw, agency="school")
    assert refused.status_code == 400
    error = error_of(refused)
    assert says in error["message"]
    assert error["field"] is None


def test_a_submit_body_is_checked_too(api, world):
    created = api.post("/situations", DRAFT, agency="school").get_json()
    for body, field in (({"version": "1"}, "version"), ({"versoin": 1}, "versoin")):
        refused = api.post(f"/situations/{created['id']}/submit", body, agency="school")
        assert refused.status_code == 400
        assert error_of(refused)["field"] == field
    garbage = api.post(f"/situations/{created['id']}/submit", raw="{", agency="school")
    assert garbage.status_code == 400
