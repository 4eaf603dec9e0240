"""A decision round in Debian's Chromium, in English and Vietnamese, every page axe-clean.

The chair opens a round on a submitted situation; one member agency answers in English,
another in Vietnamese, the rest through the core; the last answer decides; the chair reads
the minutes (accepted, every member answered) in both languages.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from support.factories import build_world, submitted
from support.settings import make_settings

from e2e.browsing import Person, fresh_runtime
from webui import create_app
from webui.threaded_server import Served
from workflow import rounds
from workflow.models import DecisionRound, Situation

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("rounds-browser")
    runtime = fresh_runtime(tmp, "browser-test-key")
    world = build_world(runtime)
    sid = submitted(world, by="school")
    app = create_app(make_settings(runtime, tmp), runtime=runtime)
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    served = Served(app, threads=4)
    yield {"base": f"http://127.0.0.1:{served.port}", "runtime": runtime, "world": world,
           "sid": sid}
    served.stop()
    runtime.dispose()


def _answer(person: Person, sid: int) -> None:
    form = person.page.locator("form.card").filter(has=person.page.locator(
        f"input[name=aer][id$='-{sid}']")).first
    form.locator("input[name=aer][value=yes]").check()
    form.locator("input[name=needed_at_filter_3]").check()
    form.locator("select[name=contributes]").select_option(["housing"])
    with person.page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_a_round_in_english_and_vietnamese(browser, site):
    world, sid = site["world"], site["sid"]
    ref = f"PEEL-{sid:06d}"
    chair = Person(browser, site, "chair")
    chair.sign_in("chair@demo.hubtable.test")
    chair.click("link", "Decision rounds")
    assert ref in chair.check("round-open")
    chair.page.get_by_label(ref, exact=False).check()
    chair.page.get_by_label("Closes in (hours; blank: the rule pack's setting)").fill("24")
    chair.click("button", "Open the round")
    assert "Decision round opened" in chair.page.content()

    cmha = Person(browser, site, "cmha")
    cmha.sign_in("cmha@demo.hubtable.test")
    cmha.go("/rounds")
    assert "Acutely elevated risk?" in cmha.check("round-answer-en")
    _answer(cmha, sid)
    assert "Your agency&#39;s view is recorded." in cmha.page.content() or \
        "Your agency's view is recorded." in cmha.page.content()

    housing = Person(browser, site, "housing")
    housing.sign_in("housing@demo.hubtable.test")
    housing.click("button", "Tiếng Việt")
    housing.go("/rounds")
    page = housing.check("round-answer-vi")
    assert 'lang="vi"' in page and "Nguy cơ cao cấp bách?" in page
    _answer(housing, sid)
    assert "Đã ghi ý kiến của cơ quan bạn." in housing.page.content()

    runtime = site["runtime"]
    with runtime.command() as s:
        rid = s.scalar(select(DecisionRound.id))
        for slug in ("police", "cas", "school", "hospital"):
            rounds.answer(s, world.user(s, slug), rid, sid, aer=True)
    with runtime.read() as s:
        assert s.get(Situation, sid).stage == "accepted"

    chair.go(f"/rounds/{rid}")
    minutes = chair.check("round-minutes-en")
    assert "every member answered" in minutes and "accepted" in minutes
    chair.click("button", "Tiếng Việt")
    chair.go(f"/rounds/{rid}")
    minutes = chair.check("round-minutes-vi")
    assert "Biên bản vòng" in minutes and "mọi thành viên đã trả lời" in minutes
    for person in (chair, cmha, housing):
        person.close()
