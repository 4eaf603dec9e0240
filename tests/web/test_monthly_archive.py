"""The monthly reports archive on the web (/reports/monthly), both databases: a manager and a
chair read their tables' stored reports and no other table's (404, as for a table that does
not exist); anyone else is refused; the list is newest month first; a report stored below its
table's raised threshold is shown rebuilt, and says so; a period that is not a month is a clear
400; the stored body downloads as JSON; no identity or free text, in a page or an address."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from reports.dataset import NOTE_MARKER, SUMMARY_MARKER, build
from reports.helpers import drop_from_stored_scope
from sqlalchemy import select, update
from support.factories import in_intervention
from support.settings import make_settings

from web.conftest import signed_in
from webui import create_app
from workflow.models import StoredReport, Table
from workflow.reports import store_monthly

CANARY = "CANARY-Archive-Philippa"
JAN = "/reports/monthly/PEEL/2026-01"
HREF = re.compile(r'href="(/reports/monthly[^"]*)"')


def _store(runtime, table_id: int, period: str, now: datetime) -> None:
    with runtime.command() as s:
        store_monthly(s, table_id, period, now=now)


@pytest.fixture
def app(runtime, world, tmp_path):
    """The hand-built data set at threshold 1 (every count shows), with PEEL's December,
    January and February stored, and the other table's January."""
    build(world)
    with runtime.command() as s:
        s.execute(update(Table).values(small_cell_threshold=1))
        other = s.scalar(select(Table.id).where(Table.code == "OTHER"))
    _store(runtime, world.table_id, "2026-01", datetime(2026, 2, 1, 1, tzinfo=UTC))
    _store(runtime, world.table_id, "2025-12", datetime(2026, 1, 1, 1, tzinfo=UTC))
    _store(runtime, world.table_id, "2026-02", datetime(2026, 3, 1, 1, tzinfo=UTC))
    _store(runtime, other, "2026-01", datetime(2026, 2, 1, 1, tzinfo=UTC))
    app = create_app(make_settings(runtime, tmp_path), runtime=runtime, testing=True)
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    return app


def _stored_body(world, period: str) -> dict:
    with world.runtime.read() as s:
        return s.scalar(select(StoredReport.body).where(
            StoredReport.table_id == world.table_id, StoredReport.period == period))


@pytest.mark.parametrize("who", ["manager", "chair"])
def test_the_list_shows_their_tables_reports_newest_month_first(app, who):
    page = signed_in(app, who).get("/reports/monthly")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.findall(r'href="/reports/monthly/([^"/]+/[^"/]+)"', html) == [
        "PEEL/2026-02", "PEEL/2026-01", "PEEL/2025-12"]
    assert "OTHER" not in html
    assert '<th scope="col">Table</th><th scope="col">Period</th><th scope="col">Stored at' \
        in html
    assert '<th scope="row">PEEL · Peel Situation Table</th>' in html
    assert "2026-01<span class=\"visually-hidden\"> · PEEL</span></a>" in html
    # Stored at 01:00 UTC on February 1st: the evening before, in the table's time zone.
    assert "<td>Jan 31, 2026, 8:00:00\u202fPM" in html or "<td>Jan 31, 2026, 8:00:00 PM" in html
    assert "Rebuilt under the current small-cell threshold" not in html


@pytest.mark.parametrize("who", ["manager", "chair"])
def test_a_stored_report_is_drawn_like_the_live_one_in_tables(app, world, who):
    page = signed_in(app, who).get(JAN)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Monthly report 2026-01, PEEL</h1>" in html
    assert '<h2 id="h-summary">Summary</h2>' in html
    assert '<th scope="row">Situations presented</th><td>4</td>' in html
    assert "<caption>By age group</caption>" in html
    assert "2026-01-01 to 2026-01-31" in html
    assert "no small-cell suppression (threshold 1)" in html
    assert f'href="{JAN}/report.json"' in html
    assert '<a href="#h-download">Download</a>' in html
    assert "<img" not in html  # no chart: a stored report has numbers, not a query
    assert 'id="rebuilt"' not in html
    assert 'href="/reports/monthly"' in html


@pytest.mark.parametrize("who", ["manager", "chair"])
def test_another_tables_report_is_404_like_a_table_or_month_that_does_not_exist(app, who):
    web = signed_in(app, who)
    for path in ("/reports/monthly/OTHER/2026-01", "/reports/monthly/OTHER/2026-01/report.json",
                 "/reports/monthly/NOPE/2026-01", "/reports/monthly/PEEL/2026-03",
                 "/reports/monthly/peel/2026-01"):
        response = web.get(path)
        assert response.status_code == 404, path
        assert "There is nothing here that you may see." in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["school", "outsider", "admin"])
def test_agency_users_and_administrators_are_refused(app, who):
    web = signed_in(app, who)
    for path in ("/reports/monthly", JAN, f"{JAN}/report.json"):
        response = web.get(path)
        assert response.status_code == 403, path
        assert "Your role may not see reports." in response.get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(app):
    for path in ("/reports/monthly", JAN, f"{JAN}/report.json"):
        response = app.test_client().get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "2026-01-01", "January", "%00"])
def test_a_period_that_is_not_a_month_is_a_clear_400(app, period):
    web = signed_in(app, "manager")
    for path in (f"/reports/monthly/PEEL/{period}", f"/reports/monthly/PEEL/{period}/report.json"):
        response = web.get(path)
        assert response.status_code == 400, path
        html = response.get_data(as_text=True)
        assert "is not a month like 2026-01" in html
        assert "Traceback" not in html


def test_the_stored_body_downloads_as_a_json_file(app, world):
    response = signed_in(app, "manager").get(f"{JAN}/report.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="hubtable-monthly-PEEL-2026-01.json"'
    assert json.loads(response.get_data(as_text=True)) == _stored_body(world, "2026-01")


def test_a_raised_threshold_shows_the_report_rebuilt_and_says_when(app, world):
    admin = signed_in(app, "admin")
    raised = admin.post(f"/admin/tables/{world.table_id}", {
        "form": "privacy", "retention_days": "90", "small_cell_threshold": "5"})
    assert raised.status_code == 302
    web = signed_in(app, "manager")
    html = web.get(JAN).get_data(as_text=True)
    assert 'id="rebuilt"' in html
    assert "under the table's current small-cell threshold, 5: it was stored with a " \
           "threshold of 1, which has since been raised" in html
    # 4 situations presented, between the old threshold (1) and the new (5): hidden now.
    assert '<th scope="row">Situations presented</th><td>&lt;5</td>' in html
    assert '<th scope="row">Situations presented</th><td>4</td>' not in html
    assert "counts from 1 to 4 are shown as &lt;5" in html
    body = json.loads(web.get(f"{JAN}/report.json").get_data(as_text=True))
    assert body["scope"]["threshold"] == 5 == _stored_body(world, "2026-01")["scope"]["threshold"]
    decisions = next(f for f in body["figures"] if f["key"] == "decisions")
    assert decisions["total"]["cells"][0] == {"value": None, "text": "<5"}
    chair = signed_in(app, "chair")
    assert 'id="rebuilt"' in chair.get(JAN).get_data(as_text=True)  # said again later
    listing = chair.get("/reports/monthly").get_data(as_text=True)
    assert listing.count("Rebuilt under the current small-cell threshold") == 1


def test_a_report_made_with_the_older_suppression_says_it_was_rebuilt_not_raised(app, world):
    drop_from_stored_scope(world, "2026-01", "suppression_method")
    html = signed_in(app, "manager").get(JAN).get_data(as_text=True)
    assert "under the table's current small-cell threshold, 1. Its figures are as of" in html
    assert "which has since been raised" not in html
    assert _stored_body(world, "2026-01")["scope"]["suppression_method"] == 2


def test_the_archive_speaks_its_readers_language(app):
    web = signed_in(app, "manager")
    assert web.post("/language", {"language": "vi", "next": "/"}).status_code == 302
    html = web.get(JAN).get_data(as_text=True)
    assert 'lang="vi"' in html
    assert "<caption>Theo nhóm tuổi</caption>" in html  # a stored title, said in Vietnamese
    assert "từ 2026-01-01 đến 2026-01-31" in html       # the period, said again
    assert "<caption>By age group</caption>" not in html


def test_the_archive_is_linked_from_the_menu_and_the_live_reports_page(app):
    for who in ("manager", "chair"):
        menu = signed_in(app, who).get("/reports/").get_data(as_text=True)
        assert '<li><a href="/reports/monthly">Monthly reports</a></li>' in menu
    web = signed_in(app, "manager")
    live = web.get("/reports/?table=PEEL&from=2026-01-01&to=2026-03-01").get_data(as_text=True)
    assert 'href="/reports/monthly">Monthly reports, as they were stored</a>' in live
    rep = signed_in(app, "school").get("/agency").get_data(as_text=True)
    assert 'href="/reports/monthly"' not in rep


def test_no_identity_or_free_text_in_any_archive_page_or_address(app, world, runtime):
    in_intervention(world, identity_name=CANARY)
    period = datetime.now(UTC).strftime("%Y-%m")
    _store(runtime, world.table_id, period, datetime.now(UTC))
    web = signed_in(app, "manager")
    listing = web.get("/reports/monthly").get_data(as_text=True)
    pages = [listing]
    for href in HREF.findall(listing):
        assert re.fullmatch(r"/reports/monthly(/[A-Z0-9-]+/[0-9]{4}-[0-9]{2})?", href), href
        if href != "/reports/monthly":
            page = web.get(href).get_data(as_text=True)
            for inner in HREF.findall(page):
                assert re.fullmatch(
                    r"/reports/monthly(/[A-Z0-9-]+/[0-9]{4}-[0-9]{2}/report\.json)?", inner)
            pages += [page, web.get(f"{href}/report.json").get_data(as_text=True)]
    assert len(pages) == 9  # the list, and each of four reports with its download
    for text in pages:
        for secret in (CANARY, "12 Example Street", "555 0100", "1999-04-01", SUMMARY_MARKER,
                       NOTE_MARKER, "Find shelter bed", "recent eviction"):
            assert secret not in text
