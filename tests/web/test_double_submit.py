"""A double click on "Save and submit", or a client's retry of POST /api/v1/situations, makes
ONE situation: the new-situation form carries a one-time token (the API an Idempotency-Key),
stored under a unique index that settles even two requests at the same moment (both
databases; workflow/form_tokens.py)."""

from __future__ import annotations

import contextlib
import re
import threading

import pytest
from sqlalchemy import func, select

import webui.api.situations as api_situations
import webui.views.situations as situation_views
from web.conftest import signed_in
from web.test_api_helpers import DRAFT, error_of, make_api
from workflow.models import AgendaItem, Situation

_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def _form(world, token: str, **overrides) -> dict:
    return {"table_id": str(world.table_id), "situation_type": "person", "age_group": "25-29",
            "gender": "female", "persons_count": "1",
            "risk_factors": ["mental_health.diagnosed", "housing.transient",
                             "drugs.person_use"],
            "aer_reasons": ["mental_health.diagnosed"], "summary": "Adult, recent eviction.",
            "options_exhausted": "yes", "needs_multiple_agencies": "yes",
            "harm_probable_imminent": "yes", "consent": "not_possible",
            "form_token": token, "action": "submit", **overrides}


def _token_of(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "no form token on the new-situation form"
    return found.group(1)


def _situations(world) -> list[tuple[int, str]]:
    with world.runtime.read() as s:
        return list(s.execute(select(Situation.id, Situation.stage).order_by(Situation.id)))


def _on_agendas(world) -> int:
    with world.runtime.read() as s:
        return s.scalar(select(func.count()).select_from(AgendaItem)) or 0


def _id_in(location: str) -> int:
    return int(re.search(r"/situations/(\d+)", location).group(1))


def test_the_same_form_posted_twice_makes_one_situation_and_the_second_lands_on_it(app, world):
    school = signed_in(app, "school")
    token = _token_of(school.get("/situations/new").get_data(as_text=True))
    first = school.post("/situations/new", _form(world, token))
    second = school.post("/situations/new", _form(world, token))

    assert first.status_code == 302 and second.status_code == 302
    sid = _id_in(first.headers["Location"])
    assert second.headers["Location"].endswith(f"/situations/{sid}")
    assert _situations(world) == [(sid, "on_agenda")]
    assert _on_agendas(world) == 1
    page = school.get(second.headers["Location"])
    assert page.status_code == 200 and 'class="error' not in page.get_data(as_text=True)


def test_each_new_form_has_its_own_token(app, world):
    school = signed_in(app, "school")
    html = school.get("/situations/new").get_data(as_text=True)
    one = _token_of(html)
    assert html.count(one) == 1  # in its own field only (not the layout's CSRF slots)
    two = _token_of(school.get("/situations/new").get_data(as_text=True))
    assert one != two
    school.post("/situations/new", _form(world, one))
    school.post("/situations/new", _form(world, two))
    assert len(_situations(world)) == 2


def test_a_field_error_keeps_the_token_so_the_corrected_form_still_counts_once(app, world):
    school = signed_in(app, "school")
    token = _token_of(school.get("/situations/new").get_data(as_text=True))
    refused = school.post("/situations/new", _form(world, token, gender=""))
    assert refused.status_code == 400
    assert _token_of(refused.get_data(as_text=True)) == token
    assert _situations(world) == []
    first = school.post("/situations/new", _form(world, token))
    second = school.post("/situations/new", _form(world, token))
    assert second.headers["Location"] == first.headers["Location"]
    assert len(_situations(world)) == 1


def test_another_agencys_token_is_a_conflict_that_names_no_situation(app, world):
    school = signed_in(app, "school")
    token = _token_of(school.get("/situations/new").get_data(as_text=True))
    sid = _id_in(school.post("/situations/new", _form(world, token)).headers["Location"])
    refused = signed_in(app, "cmha").post("/situations/new", _form(world, token))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert f"/situations/{sid}" not in html
    assert _token_of(html) != token  # a fresh form, so that saving again can work
    assert len(_situations(world)) == 1


@pytest.fixture
def api(app, runtime, world):
    return make_api(app, runtime, world)


def _with_key(api, key: str, agency: str = "school") -> dict[str, str]:
    return {**api.headers(agency), "Idempotency-Key": key}


def test_an_api_retry_with_the_same_key_answers_200_with_the_same_situation(api, world):
    headers = _with_key(api, "retry-key-0001")
    first = api.post("/situations", {**DRAFT, "submit": True}, headers=headers)
    second = api.post("/situations", {**DRAFT, "submit": True}, headers=headers)

    assert first.status_code == 201, first.get_json()
    assert second.status_code == 200, second.get_json()
    assert second.get_json() == first.get_json()
    assert second.headers["Location"] == first.headers["Location"]
    assert _situations(world) == [(first.get_json()["id"], "on_agenda")]
    assert _on_agendas(world) == 1


def test_an_api_key_another_agency_used_is_a_409_naming_no_situation(api, world):
    first = api.post("/situations", DRAFT, headers=_with_key(api, "shared-key-0001"))
    refused = api.post("/situations", DRAFT,
                       headers=_with_key(api, "shared-key-0001", agency="cmha"))
    assert refused.status_code == 409
    error = error_of(refused)
    assert error["field"] == "Idempotency-Key"
    assert str(first.get_json()["id"]) not in refused.get_data(as_text=True)
    assert len(_situations(world)) == 1


@pytest.mark.parametrize("key", ["short", "x" * 65, "has space in it", "semi;colon00"])
def test_a_malformed_idempotency_key_is_a_400_naming_the_header(api, world, key):
    refused = api.post("/situations", DRAFT, headers=_with_key(api, key))
    assert refused.status_code == 400
    error = error_of(refused)
    assert error["field"] == "Idempotency-Key" and "Idempotency-Key" in error["message"]
    assert _situations(world) == []


def test_without_a_key_the_api_makes_one_situation_per_post_as_before(api, world):
    first = api.post("/situations", DRAFT, agency="school")
    second = api.post("/situations", DRAFT, agency="school")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.get_json()["id"] != second.get_json()["id"]
    assert len(_situations(world)) == 2


def test_the_openapi_document_names_the_header(api):
    spec = api.get("/openapi.json").get_json()
    post = spec["paths"]["/situations"]["post"]
    assert [p["name"] for p in post["parameters"]] == ["Idempotency-Key"]
    assert {"200", "201"} <= set(post["responses"])


def _meet_inside_the_transaction(monkeypatch, module, name: str) -> threading.Barrier:
    """Both requests wait for each other inside their transactions, before either commits (the
    page's after drafting, the API's before): the race."""
    barrier = threading.Barrier(2)
    original = getattr(module, name)

    def waiting(*args, **kwargs):
        result = original(*args, **kwargs)
        # SQLite: the other may wait on the write lock, so it cannot come
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=3)
        return result

    monkeypatch.setattr(module, name, waiting)
    return barrier


def _raced(world, barrier: threading.Barrier) -> None:
    """On PostgreSQL both were inside their transactions at once (the draft's insert waits in
    the one write until the commit), so the unique index, not a read, settled it."""
    if world.runtime.engine.dialect.name == "postgresql":
        assert not barrier.broken


def _at_once(*calls) -> list:
    answers: list = [None] * len(calls)

    def run(i: int) -> None:
        answers[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return answers


def test_two_posts_of_one_form_at_the_same_moment_make_one_situation(app, world, monkeypatch):
    one, two = signed_in(app, "school"), signed_in(app, "school")
    token = _token_of(one.get("/situations/new").get_data(as_text=True))
    barrier = _meet_inside_the_transaction(monkeypatch, situation_views, "_check_earlier")
    answers = _at_once(lambda: one.post("/situations/new", _form(world, token)),
                       lambda: two.post("/situations/new", _form(world, token)))

    assert [a.status_code for a in answers] == [302, 302]
    _raced(world, barrier)
    [(sid, stage)] = _situations(world)
    assert {_id_in(a.headers["Location"]) for a in answers} == {sid}
    assert stage == "on_agenda" and _on_agendas(world) == 1


def test_two_api_posts_with_one_key_at_the_same_moment_make_one_situation(
        api, world, monkeypatch):
    assert api.get("/situations", agency="school").status_code == 200  # its API user exists
    barrier = _meet_inside_the_transaction(monkeypatch, api_situations, "find_table")
    headers = _with_key(api, "race-key-0001")
    answers = _at_once(
        lambda: api.post("/situations", {**DRAFT, "submit": True}, headers=headers),
        lambda: api.post("/situations", {**DRAFT, "submit": True}, headers=headers))

    assert sorted(a.status_code for a in answers) == [200, 201], [a.get_json() for a in answers]
    _raced(world, barrier)
    [(sid, stage)] = _situations(world)
    assert {a.get_json()["id"] for a in answers} == {sid}
    assert stage == "on_agenda" and _on_agendas(world) == 1


def test_a_double_click_on_a_refused_submission_shows_the_refusal_again(app, world):
    """The first click saved the draft but the table's rules refused to submit it: the second
    click ends as the first did (the refusal on the form), not on the bare draft."""
    school = signed_in(app, "school")
    token = _token_of(school.get("/situations/new").get_data(as_text=True))
    form = _form(world, token, options_exhausted="no")
    first = school.post("/situations/new", form)
    second = school.post("/situations/new", form)

    assert first.status_code == 400 and second.status_code == 400
    for response in (first, second):
        assert "exhausted its own options" in response.get_data(as_text=True)
    [(sid, stage)] = _situations(world)
    assert stage == "draft" and _on_agendas(world) == 0
    assert f"/situations/{sid}/edit" in second.get_data(as_text=True)
