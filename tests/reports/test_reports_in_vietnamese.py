"""The reports page speaks its reader's language: a manager or chair who chose Vietnamese reads
the figures' titles, rows, columns, indicators, units, the scope line, the suppression note,
the form's errors, the charts and their alt text in Vietnamese, not in English."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update
from support.factories import in_intervention
from web.conftest import make_settings, signed_in

from reports.dataset import build
from reports.generated import generate
from webui import create_app
from workflow.models import Table

QUERY = "from=2025-11-01&to=2026-04-01"
#: What the page printed in English before, each with the Vietnamese it prints now.
ENGLISH_AND_VIETNAMESE = [
    ("Situations presented, accepted as AER and rejected",
     "Tình huống đã trình bày, được tiếp nhận là nguy cơ cao cấp bách và không được tiếp nhận"),
    ("<caption>By age group</caption>", "<caption>Theo nhóm tuổi</caption>"),
    ("Not decided or withdrawn", "Chưa quyết định hoặc đã rút lại"),
    ("Accepted situations that received help", "Tình huống được tiếp nhận đã nhận được hỗ trợ"),
    ("Time from acceptance to first contact",
     "Thời gian từ khi tiếp nhận đến khi tiếp cận lần đầu"),
    ("<td>hours</td>", "<td>giờ</td>"),
    ("<td>days</td>", "<td>ngày</td>"),
    ("your tables", "Các nhóm điều phối của bạn"),
    ("2025-11-01 to 2026-03-31", "từ 2025-11-01 đến 2026-03-31"),
    ("counts from 1 to 4 are shown as &lt;5", "Các số đếm từ 1 đến 4 được hiển thị là &lt;5"),
    ("Chart of situations presented", "Biểu đồ tình huống đã trình bày"),
]


@pytest.fixture
def app(runtime, world, tmp_path):
    build(world)
    generate(world)
    with runtime.command() as s:
        s.execute(update(Table).values(small_cell_threshold=5))
    app = create_app(make_settings(runtime, tmp_path), runtime=runtime, testing=True)
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    return app


def in_vietnamese(app, who: str):
    web = signed_in(app, who)
    assert web.post("/language", {"language": "vi", "next": "/"}).status_code == 302
    return web


def test_the_report_page_speaks_vietnamese(app):
    html = in_vietnamese(app, "manager").get(f"/reports/?{QUERY}").get_data(as_text=True)
    assert 'lang="vi"' in html
    for english, vietnamese in ENGLISH_AND_VIETNAMESE:
        assert english not in html, english
        assert vietnamese in html, vietnamese


@pytest.mark.parametrize("query, english, vietnamese", [
    ("from=abc", "from date 'abc' is not a date like 2026-01-31",
     "Ngày “từ” 'abc' không phải là ngày dạng 2026-01-31."),
    ("table=PEEL&region=ON", "choose a table or a region, not both",
     "Hãy chọn một nhóm điều phối hoặc một vùng, không chọn cả hai."),
])
def test_the_report_forms_errors_speak_vietnamese(app, query, english, vietnamese):
    page = in_vietnamese(app, "chair").get(f"/reports/?{query}")
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert english not in html and "&#39;abc&#39; is not a date" not in html
    assert vietnamese.replace("'", "&#39;") in html


def test_the_charts_speak_vietnamese(app):
    web = in_vietnamese(app, "manager")
    decisions = web.get(f"/reports/chart/decisions.svg?{QUERY}").get_data(as_text=True)
    assert "Accepted as AER" not in decisions and "Không tiếp nhận" in decisions
    indicators = web.get(f"/reports/chart/indicators.svg?{QUERY}").get_data(as_text=True)
    assert "Actual (%)" not in indicators and "Thực tế (%)" in indicators


def test_the_rules_trace_names_deadline_kinds_in_vietnamese(app, world):
    sid, _ = in_intervention(world)
    html = in_vietnamese(app, "chair").get(f"/dashboard/situations/{sid}/rules").get_data(
        as_text=True)
    assert "<td>first contact</td>" not in html
    assert "<td>tiếp cận lần đầu</td>" in html


def test_the_reports_numbers_use_the_readers_decimal_mark(app):
    """Shares, medians and percentiles: 39.7% in English is 39,7% in Vietnamese (a point there
    reads as a thousands separator)."""
    english = signed_in(app, "manager").get(f"/reports/?{QUERY}").get_data(as_text=True)
    vietnamese = in_vietnamese(app, "manager").get(f"/reports/?{QUERY}").get_data(as_text=True)
    decimal_cell = re.compile(r"<td>(\d+)([.,])(\d+)(%?)</td>")
    in_english = decimal_cell.findall(english)
    assert any(mark == "." and sign == "%" for _, mark, _, sign in in_english), in_english
    assert any(mark == "." and not sign for _, mark, _, sign in in_english), in_english
    in_vietnamese_cells = decimal_cell.findall(vietnamese)
    assert sorted((a, b, s) for a, _, b, s in in_vietnamese_cells) == \
        sorted((a, b, s) for a, _, b, s in in_english)
    assert {mark for _, mark, _, _ in in_vietnamese_cells} == {","}
