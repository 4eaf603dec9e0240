"""The reports pages: who may see them, charts beside tables, exports, bad input."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import update
from web.conftest import make_settings, signed_in

from webui import create_app
from workflow.models import Table

QUERY = "table=PEEL&from=2026-01-01&to=2026-03-01"


@pytest.fixture
def app(runtime, world, dataset, tmp_path):
    app = create_app(make_settings(runtime, tmp_path), runtime=runtime, testing=True)
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    return app


def test_a_manager_sees_figures_with_charts_and_tables(app):
    web = signed_in(app, "manager")
    page = web.get(f"/reports/?{QUERY}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Situations presented, accepted as AER and rejected" in html
    assert "<caption>By age group</caption>" in html
    assert 'src="/reports/chart/decisions.svg?' in html
    assert html.count("<img") == html.count('alt="')
    assert "Accepted situations that received help" in html and "75%" in html
    assert "Equity lens" in html
    assert "/reports/records.csv?" in html and "/reports/export.xlsx?" in html
    assert "<script" not in html


def test_a_chart_is_an_svg_without_script(app):
    web = signed_in(app, "manager")
    response = web.get(f"/reports/chart/age_group.svg?{QUERY}")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith("<?xml") and "<svg" in body and "<script" not in body
    assert web.get(f"/reports/chart/nope.svg?{QUERY}").status_code == 404
    assert web.get(f"/reports/chart/indicators.svg?{QUERY}").status_code == 200
    assert web.get(f"/reports/chart/trends.svg?{QUERY}").status_code == 200


def test_a_chair_may_see_reports_of_their_table(app):
    assert signed_in(app, "chair").get(f"/reports/?{QUERY}").status_code == 200


@pytest.mark.parametrize("who", ["school", "admin"])
def test_agency_reps_and_administrators_are_refused(app, who):
    web = signed_in(app, who)
    for path in ("/reports/", f"/reports/chart/decisions.svg?{QUERY}",
                 f"/reports/export.csv?{QUERY}", f"/reports/records.csv?{QUERY}"):
        assert web.get(path).status_code == 403, path


def test_a_manager_may_not_see_a_table_outside_their_scope(app):
    web = signed_in(app, "manager")
    assert web.get("/reports/?table=OTHER").status_code == 403
    assert web.get("/reports/export.csv?table=OTHER").status_code == 403


def test_signed_out_visitors_go_to_the_login_page(app):
    response = app.test_client().get("/reports/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_bad_date_is_a_clear_error(app):
    web = signed_in(app, "manager")
    page = web.get("/reports/?from=2026-02-31")
    assert page.status_code == 400
    assert "is not a date like 2026-01-31" in page.get_data(as_text=True)


def test_exports_download_with_suppressed_counts(app, runtime, world):
    with runtime.command() as s:
        s.execute(update(Table).values(small_cell_threshold=5))
    web = signed_in(app, "manager")
    response = web.get(f"/reports/export.csv?{QUERY}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    decided = {r["row"]: r["value"] for r in rows if r["figure"] == "decisions"}
    assert decided == {"accepted": "<5", "rejected": "<5", "undecided": "<5", "total": "x"}
    assert web.get(f"/reports/export.json?{QUERY}").status_code == 200
    xlsx = web.get(f"/reports/export.xlsx?{QUERY}")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    records = web.get(f"/reports/records.csv?{QUERY}")
    assert records.status_code == 200
    assert len(records.get_data(as_text=True).strip().splitlines()) == 9
    assert web.get(f"/reports/export.pdf?{QUERY}").status_code == 404


def test_a_manager_without_tables_is_told_so(app, runtime, world):
    from sqlalchemy import delete

    from workflow.models import UserTableScope

    with runtime.command() as s:
        s.execute(delete(UserTableScope).where(UserTableScope.user_id == world.users["manager"]))
    page = signed_in(app, "manager").get("/reports/")
    assert page.status_code == 200
    assert "No table is assigned to you" in page.get_data(as_text=True)


def test_a_withdrawn_table_is_refused_at_once_not_served_from_the_cache(app, runtime, world):
    from sqlalchemy import delete

    from workflow.models import UserTableScope

    web = signed_in(app, "manager")
    assert web.get(f"/reports/?{QUERY}").status_code == 200
    with runtime.command() as s:
        s.execute(delete(UserTableScope).where(UserTableScope.user_id == world.users["manager"]))
    assert web.get(f"/reports/chart/decisions.svg?{QUERY}").status_code == 403
    assert web.get(f"/reports/export.csv?{QUERY}").status_code == 403
