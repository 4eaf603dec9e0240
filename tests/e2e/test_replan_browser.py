"""Changing the plan in meeting mode, in Debian's Chromium, by keyboard: the form is folded
away until the chair opens it, and the page is axe-clean folded, open, with an error beside a
field, and after the change, which shows the new lead."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.factories import build_world, in_intervention
from support.settings import make_settings

from e2e.browsing import Person, fresh_runtime
from webui import create_app
from webui.threaded_server import Served
from workflow.models import Situation

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("replan-browser")
    runtime = fresh_runtime(tmp, "browser-test-key")
    world = build_world(runtime)
    sid, mid = in_intervention(world)  # CMHA leads, housing assists, school is granted
    app = create_app(make_settings(runtime, tmp), runtime=runtime)
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    served = Served(app, threads=4)
    yield {"base": f"http://127.0.0.1:{served.port}", "runtime": runtime, "world": world,
           "sid": sid, "mid": mid}
    served.stop()
    runtime.dispose()


def test_the_chair_changes_the_plan_by_keyboard(browser, site):
    world, sid = site["world"], site["sid"]
    agencies = world.agencies
    chair = Person(browser, site, "chair")
    chair.sign_in("chair@demo.hubtable.test")
    chair.go(f"/meetings/{site['mid']}/situations/{sid}")
    chair.check("replan-folded")
    page = chair.page
    assert not page.get_by_label("Lead agency", exact=True).is_visible()

    summary = page.locator("details#replan > summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("details#replan").get_attribute("open") is not None
    chair.check("replan-open")

    # a task for an agency outside the plan: refused, the reason beside its agency
    page.get_by_label("Task 1: agency", exact=True).select_option(str(agencies["police"]))
    page.get_by_label("Task 1: what", exact=True).fill("Check in")
    with page.expect_navigation():
        page.get_by_role("button", name="Change the plan", exact=True).click()
    error = page.locator("#task-0-agency_id-error")
    assert "lead or an assisting agency" in error.inner_text()
    assert page.locator("details#replan").get_attribute("open") is not None
    chair.check("replan-error")

    # housing to lead (still ticked as assisting: it leads), school to assist
    page.get_by_label("Task 1: agency", exact=True).select_option("")
    page.get_by_label("Task 1: what", exact=True).fill("")
    page.get_by_label("Lead agency", exact=True).select_option(str(agencies["housing"]))
    page.locator(f'input[name="assisting_agency_ids"][value="{agencies["school"]}"]').check()
    page.get_by_role("button", name="Change the plan", exact=True).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    done = chair.check("replan-done")
    assert "Plan changed" in done and "Housing Services</strong>" in done
    assert page.locator("details#replan").get_attribute("open") is None
    with site["runtime"].read() as s:
        assert s.get_one(Situation, sid).lead_agency_id == agencies["housing"]
    chair.close()
