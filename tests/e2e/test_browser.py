"""A full meeting in Debian's Chromium, driven by Playwright against the app under waitress.

The chair signs in, takes attendance, accepts one situation and rejects another, discloses,
enters identity and plans; at a second meeting the lead reports back and the situation closes.
Then each agency signs in and sees exactly what it may. Every main page is checked with
axe-core (zero violations) and saved as a screenshot under tests/artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from support.factories import PASSWORD, build_world, submitted
from support.settings import make_settings

from e2e.browsing import Person, fresh_runtime
from webui import create_app
from webui.threaded_server import Served
from workflow.models import Situation

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CANARY = "CANARY-Browser-Ysolde"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict]:
    """The app served by waitress on a free port, over a SQLite database built by factories."""
    tmp = tmp_path_factory.mktemp("browser")
    runtime = fresh_runtime(tmp, "browser-test-key")
    world = build_world(runtime)
    accept_id = submitted(world, by="school", summary="Adult, recent eviction, not in care.")
    reject_id = submitted(world, by="hospital", summary="Adult, one agency can help.")
    app = create_app(make_settings(runtime, tmp), runtime=runtime)
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    served = Served(app, threads=4)
    yield {"base": f"http://127.0.0.1:{served.port}", "runtime": runtime,
           "world": world, "accept": accept_id, "reject": reject_id}
    served.stop()
    runtime.dispose()


def _ref(situation_id: int) -> str:
    return f"PEEL-{situation_id:06d}"


def test_keyboard_only_sign_in_starts_with_the_skip_link(browser, site):
    person = Person(browser, site, "keyboard")
    person.go("/login")
    person.check("login")
    person.page.keyboard.press("Tab")
    assert person.page.evaluate("document.activeElement.className") == "skip"
    person.page.keyboard.press("Enter")
    assert person.page.evaluate("document.activeElement.id") == "main"
    person.page.get_by_label("Email address").focus()
    person.page.keyboard.type("chair@demo.hubtable.test")
    person.page.keyboard.press("Tab")
    person.page.keyboard.type(PASSWORD)
    with person.page.expect_navigation():
        person.page.keyboard.press("Enter")
    assert person.page.url.endswith("/dashboard")
    person.close()


def test_a_full_meeting_then_each_agency_sees_what_it_may(browser, site):
    runtime, world = site["runtime"], site["world"]
    accept, reject = site["accept"], site["reject"]
    agencies = world.agencies
    chair = Person(browser, site, "chair")
    chair.sign_in("chair@demo.hubtable.test")
    assert _ref(accept) in chair.check("dashboard")

    # -- first meeting: attendance, then each situation in turn -------------------------
    chair.click("link", "Meeting")
    agenda = chair.check("agenda")
    assert agenda.index(_ref(accept)) < agenda.index("Report-backs")
    chair.click("button", "Open the meeting")
    assert "/attendance" in chair.page.url
    for slug in ("police", "cas", "school", "hospital", "cmha", "housing"):
        chair.page.locator(f'input[name="present-{agencies[slug]}"]').check()
        chair.page.locator(f'input[name="ack-{agencies[slug]}"]').check()
    chair.check("attendance")
    chair.click("button", "Record attendance")

    chair.click("link", _ref(accept))
    chair.check("meeting-situation-new")
    chair.click("button", "Accept: acutely elevated risk")
    chair.page.locator(f'input[name="agency_ids"][value="{agencies["cmha"]}"]').check()
    chair.page.locator(f'input[name="agency_ids"][value="{agencies["housing"]}"]').check()
    chair.click("button", "Grant disclosure")
    chair.click("link", "Enter identity (not shown here)")
    chair.check("identity-entry")
    chair.page.get_by_label("Name").fill(CANARY)
    chair.page.get_by_label("Date of birth").fill("1990-04-01")
    chair.page.get_by_label("Address").fill(f"1 {CANARY} Street")
    chair.page.get_by_label("Phone").fill("555 0199")
    chair.click("button", "Seal and record identity")
    assert CANARY not in chair.page.content()
    chair.page.get_by_label("Lead agency", exact=True).select_option(
        str(agencies["cmha"]))
    chair.page.locator(f'input[name="assisting_agency_ids"][value="{agencies["housing"]}"]'
                       ).check()
    chair.page.get_by_label("Task 1: agency").select_option(str(agencies["housing"]))
    chair.page.get_by_label("Task 1: what").fill("Find a shelter bed")
    chair.click("button", "Record the plan")
    page = chair.check("meeting-situation-intervention")
    assert "Plan recorded" in page and CANARY not in page
    # After a post that worked, focus starts at what it did, not at the header's first link.
    assert chair.page.evaluate("document.activeElement.className") == "flashes"

    chair.go(chair.page.url.replace("/situations/", "/projector/"))
    projected = chair.check("projector")
    assert _ref(accept) in projected and CANARY not in projected

    chair.go(re.sub(r"/projector/\d+$", f"/situations/{reject}", chair.page.url))
    chair.page.get_by_label("Reason for rejecting").select_option("single_agency")
    chair.click("button", "Reject")
    chair.click("link", "Agenda")
    chair.click("button", "Close the meeting")
    minutes = chair.check("minutes")
    assert _ref(accept) in minutes and _ref(reject) in minutes and CANARY not in minutes

    # -- second meeting: the report-back and the closure -------------------------------
    chair.click("link", "Meeting")
    second = chair.check("agenda-second")
    assert _ref(accept) in second and "Report-backs" in second
    chair.click("button", "Open the meeting")
    for slug in ("police", "cmha", "housing", "school"):
        chair.page.locator(f'input[name="present-{agencies[slug]}"]').check()
        chair.page.locator(f'input[name="ack-{agencies[slug]}"]').check()
    chair.click("button", "Record attendance")
    chair.click("link", _ref(accept))
    chair.page.get_by_label("What happened (de-identified)").fill("Door knock done, housed.")
    chair.page.locator("#first_contact_made input[value=yes]").check()
    chair.page.locator("#still_aer input[value=no]").check()
    chair.click("button", "Record report-back")
    chair.page.get_by_label("Status of task 1").select_option("done")
    chair.click("button", "Update task")
    chair.page.get_by_label("Conclusion").select_option("lowered_connected")
    chair.click("button", "Close the situation")
    chair.check("meeting-situation-closed")
    with runtime.read() as s:
        assert s.get(Situation, accept).stage == "closed"
        assert s.get(Situation, reject).stage == "rejected"
    chair.go(f"/dashboard/situations/{accept}/rules")
    chair.check("rule-explanations")
    chair.close()

    # -- each agency sees exactly what it may ------------------------------------------
    seen = {}
    for slug in ("school", "hospital", "cmha", "housing", "outsider"):
        person = Person(browser, site, slug)
        person.sign_in(f"{slug}@demo.hubtable.test")
        page = person.check(f"my-agency-{slug}")
        seen[slug] = {"accept": _ref(accept) in page, "reject": _ref(reject) in page}
        detail = person.go(f"/situations/{accept}")
        identity = person.go(f"/situations/{accept}/identity")
        seen[slug]["detail"], seen[slug]["identity"] = detail.status, identity.status
        if identity.status == 200:
            assert CANARY in person.check(f"identity-{slug}")
        else:
            assert CANARY not in person.page.content()
        person.close()
    assert seen == {
        "school": {"accept": True, "reject": False, "detail": 200, "identity": 403},
        "hospital": {"accept": False, "reject": True, "detail": 404, "identity": 404},
        "cmha": {"accept": True, "reject": False, "detail": 200, "identity": 200},
        "housing": {"accept": True, "reject": False, "detail": 200, "identity": 200},
        "outsider": {"accept": False, "reject": False, "detail": 404, "identity": 404},
    }


def test_forms_and_admin_pages_are_accessible(browser, site):
    rep = Person(browser, site, "school")
    rep.sign_in("school@demo.hubtable.test")
    rep.go("/situations/new")
    rep.check("new-situation")
    rep.page.get_by_label("Type of situation").select_option("person")
    with rep.page.expect_navigation():
        rep.page.get_by_role("button", name="Save and submit to the table").click()
    page = rep.check("new-situation-errors")
    assert "Choose an age group." in page
    # A keyboard user starts from the errors, not from the top of the header's links.
    assert rep.page.evaluate("document.activeElement.className") == "error-summary"
    rep.go(f"/situations/{site['accept']}")
    rep.check("situation-view")
    rep.go("/agency")
    rep.click("button", "Tiếng Việt")
    page = rep.check("my-agency-vietnamese")
    assert 'lang="vi"' in page and "Cơ quan của tôi" in page
    rep.go("/situations/new")
    assert "Yếu tố nguy cơ" in rep.check("new-situation-vietnamese")
    rep.close()
    admin = Person(browser, site, "admin")
    admin.sign_in("admin@demo.hubtable.test")
    for path, shot in (("/admin", "admin"), ("/admin/tables", "admin-tables"),
                       (f"/admin/tables/{site['world'].table_id}", "admin-table"),
                       ("/admin/agencies", "admin-agencies"), ("/admin/users", "admin-users"),
                       ("/admin/rules", "admin-rules"),
                       (f"/admin/agencies/{site['world'].agencies['housing']}", "admin-agency")):
        admin.go(path)
        admin.check(shot)
    admin.page.get_by_label("Contact email for notifications").fill("not an address")
    admin.click("button", "Save")
    assert "does not look like an address" in admin.check("admin-agency-errors")
    admin.page.get_by_label("Label", exact=True).fill("Case system")
    admin.click("button", "Issue token")
    assert "will not be shown again" in admin.check("admin-agency-token")
    admin.close()


