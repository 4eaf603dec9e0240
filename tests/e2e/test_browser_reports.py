"""The reports pages in Debian's Chromium: accessible (axe-core), charts really drawn as images
under the page's Content-Security-Policy, a table beside each chart; the stored monthly reports
by keyboard."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from reports.dataset import build
from sqlalchemy import select, update
from support.factories import build_world
from support.settings import make_settings

from e2e.browsing import Person, fresh_runtime
from webui import create_app
from workflow.models import Table
from workflow.reports import store_monthly

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict]:
    from waitress.server import create_server

    tmp = tmp_path_factory.mktemp("reports-browser")
    runtime = fresh_runtime(tmp, "browser-test-key")
    world = build_world(runtime)
    build(world)
    with runtime.command() as s:
        s.execute(update(Table).values(small_cell_threshold=2))
    app = create_app(make_settings(runtime, tmp), runtime=runtime)
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield {"base": f"http://127.0.0.1:{server.effective_port}", "runtime": runtime}
    server.close()
    runtime.dispose()


def test_the_reports_page_is_accessible_and_draws_its_charts(browser, site):
    manager = Person(browser, site, "manager")
    manager.sign_in("manager@demo.hubtable.test")
    manager.go("/reports/?table=PEEL&from=2026-01-01&to=2026-03-01")
    manager.page.wait_for_load_state("load")
    html = manager.check("reports")
    assert "Situations presented, accepted as AER and rejected" in html
    images = manager.page.eval_on_selector_all(
        "main img", "imgs => imgs.map(i => [i.getAttribute('alt'), i.naturalWidth])")
    assert len(images) >= 10
    for alt, width in images:
        assert alt and width > 0, (alt, width)
    # Each chart's section also has its numbers in a table.
    sections = manager.page.eval_on_selector_all(
        "main section", "ss => ss.map(s => [s.querySelectorAll('img').length, "
        "s.querySelectorAll('table').length])")
    assert all(tables >= 1 for _, tables in sections)
    manager.close()


def _tab_to(person: Person, target: str, presses: int = 60) -> None:
    """Press Tab until the focused element is a link whose address ends with `target`."""
    for _ in range(presses):
        person.page.keyboard.press("Tab")
        href = person.page.evaluate("document.activeElement.getAttribute('href') || ''")
        if href.endswith(target):
            return
    raise AssertionError(f"no link to {target} within {presses} presses of Tab")


def test_the_monthly_reports_archive_is_accessible_and_works_by_keyboard(browser, site):
    runtime = site["runtime"]
    with runtime.command() as s:
        peel = s.scalar(select(Table.id).where(Table.code == "PEEL"))
        store_monthly(s, peel, "2026-01")
        # February stored below today's threshold (2): shown rebuilt, with its notice.
        s.execute(update(Table).where(Table.id == peel).values(small_cell_threshold=1))
        store_monthly(s, peel, "2026-02")
        s.execute(update(Table).where(Table.id == peel).values(small_cell_threshold=2))
    manager = Person(browser, site, "manager")
    manager.sign_in("manager@demo.hubtable.test")
    manager.go("/reports/monthly")
    listing = manager.check("monthly-reports")
    assert listing.index("/reports/monthly/PEEL/2026-02") < listing.index(
        "/reports/monthly/PEEL/2026-01")
    _tab_to(manager, "/reports/monthly/PEEL/2026-01")
    with manager.page.expect_navigation():
        manager.page.keyboard.press("Enter")
    assert manager.page.url.endswith("/reports/monthly/PEEL/2026-01")
    page = manager.check("monthly-report")
    assert "Monthly report 2026-01, PEEL" in page and 'id="rebuilt"' not in page
    _tab_to(manager, "/reports/monthly/PEEL/2026-01/report.json")
    manager.go("/reports/monthly/PEEL/2026-02")
    assert 'id="rebuilt"' in manager.check("monthly-report-rebuilt")
    manager.click("button", "Tiếng Việt")
    assert 'lang="vi"' in manager.check("monthly-report-vietnamese")
    manager.go("/reports/monthly")
    manager.check("monthly-reports-vietnamese")
    manager.go("/reports/monthly/PEEL/2026-13")
    manager.check("monthly-report-bad-period")
    manager.close()
