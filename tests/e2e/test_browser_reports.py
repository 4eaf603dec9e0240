"""The reports page in Debian's Chromium: accessible (axe-core), charts really drawn as images
under the page's Content-Security-Policy, and a table beside each chart."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from reports.dataset import build
from sqlalchemy import update
from support.factories import build_world
from support.settings import make_settings

from e2e.browsing import Person, fresh_runtime
from webui import create_app
from workflow.models import Table

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
