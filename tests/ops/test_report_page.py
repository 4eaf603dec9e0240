"""The manager's report page on the demo: summary and plan indicators first, a jump list of
sections, a chart only where there is something to draw, and nothing that says "No data"."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from web.conftest import Web, make_settings

from webui import create_app
from webui.reports_views import has_numbers, is_empty, page_layout
from workflow.demo import build_demo
from workflow.reports import build_report, parse_period, resolve_scope

NOW = datetime.now(UTC)
PASSWORD = "demo-password-1"


@pytest.fixture
def manager(runtime, tmp_path):
    build_demo(runtime, password=PASSWORD, now=NOW)
    app = create_app(make_settings(runtime, tmp_path), runtime=runtime, testing=True)
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    web = Web(app.test_client())
    assert web.login("manager@demo.hubtable.test", PASSWORD).status_code == 302
    return web


def _order(html: str, *needles: str) -> list[int]:
    at = [html.find(n) for n in needles]
    assert all(i >= 0 for i in at), [n for n, i in zip(needles, at, strict=True) if i < 0]
    return at


@pytest.mark.parametrize("code", ["PEEL", "CANTHO"])
def test_the_first_look_is_a_summary_and_the_indicators(manager, code):
    page = manager.get(f"/reports/?table={code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    main = html[html.find("<main"):]
    at = _order(main, 'id="h-contents"', 'id="h-summary"', 'id="h-indicators"',
                'id="h-times"', 'id="h-decisions"', 'id="h-trends"', 'id="h-equity"')
    assert at == sorted(at)
    # every link of the jump list lands on a heading of the page
    nav = main[main.find('id="h-contents"'):main.find("</nav>")]
    targets = re.findall(r'href="#([\w-]+)"', nav)
    assert len(targets) >= 15
    for target in targets:
        assert f'id="{target}"' in main, target
    # the summary's figures are real numbers, not "<5"
    summary = main[main.find('id="h-summary"'):main.find('id="h-indicators"')]
    numbers = [int(n) for n in re.findall(r"<td>(\d+)</td>", summary)]
    assert len(numbers) >= 4 and min(numbers) >= 5 and max(numbers) >= 250, summary
    assert re.search(r"<td>\d+(\.\d)?%</td>", summary)
    # charts: many, each with its alt text, each one that has numbers to draw
    charts = re.findall(r'<img src="/reports/chart/([\w]+)\.svg\?[^"]*" alt="[^"]+"', main)
    assert len(charts) >= 14 and "indicators" in charts
    for key in charts:
        svg = manager.get(f"/reports/chart/{key}.svg?table={code}").get_data(as_text=True)
        assert "No data" not in svg, key


def test_a_period_with_nothing_hides_its_charts_and_says_so(manager):
    page = manager.get("/reports/?table=PEEL&from=2020-01-01&to=2020-03-01")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "/reports/chart/" not in html  # no chart would draw anything
    assert 'id="no-data"' in html and "Trends by month" not in html.split('id="no-data"')[0]
    assert 'id="h-summary"' in html and 'id="h-indicators"' in html


def test_layout_rules(runtime):
    build_demo(runtime, password=PASSWORD, now=NOW)
    with runtime.read() as session:
        scope = resolve_scope(session, parse_period("2020-01-01", "2020-03-01"), table="PEEL")
        empty = build_report(session, scope)
        scope = resolve_scope(session, parse_period(None, None), table="PEEL")
        full = build_report(session, scope)
    assert all(is_empty(f) and not has_numbers(f) for f in empty.figures)
    layout = page_layout(empty)
    assert layout["figures"] == [] and layout["charted"] == set()
    assert not layout["indicators_chart"]
    layout = page_layout(full)
    assert {"decisions", "trends", "outcomes", "conclusions", "lead_sectors"} <= layout["charted"]
    assert dict(layout["summary"])["n_presented"].value >= 350
