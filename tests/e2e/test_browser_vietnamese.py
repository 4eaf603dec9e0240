"""A meeting of the demo's Vietnamese table walked in Chromium, in Vietnamese: no English string
on any page it visits (the demo's data and the core's refusals included), and every page
accessible (axe-core).

English is found by words: a word of the English catalog's msgids that appears in no Vietnamese
text we ship (the vi catalog, the code lists' and rule packs' Vietnamese labels) is English.
Text marked lang="en" (the "English" language button) and identifiers in <code> are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po
from sqlalchemy import select
from support.factories import PASSWORD
from support.settings import make_settings

from e2e.browsing import ARTIFACTS, fresh_runtime
from webui import create_app
from webui.threaded_server import Served
from workflow import stages
from workflow.demo import build_demo
from workflow.models import Situation, Table

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ROOT = Path(__file__).resolve().parents[2]
WORD = re.compile(r"[A-Za-z]{3,}")
#: Names that are the same in both languages (the product, codes people type).
NAMES = {"hubtable", "cantho", "peel", "aer", "html", "smtp", "yaml", "csv", "xlsx", "api",
         "url", "email", "phipa", "cyfsa"}

_TEXTS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || el.closest('[lang="en"], code, script, style')) continue;
    out.push(text);
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder]'))
    for (const a of ['aria-label', 'title', 'placeholder'])
      if (el.getAttribute(a) && !el.closest('[lang="en"]')) out.push(el.getAttribute(a));
  out.push(document.title);
  return out;
}"""


PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|\{\w+\}")
#: Codes (snake_case or dotted identifiers, as rule packs name sectors and rules) are not prose.
CODE = re.compile(r"\b[a-z0-9]+(?:[._][a-z0-9]+)+\b")


def _words(texts) -> set[str]:
    return {w.lower() for t in texts for w in WORD.findall(PLACEHOLDER.sub(" ", t or ""))}


def _vietnamese_texts() -> list[str]:
    texts = []
    with open(ROOT / "webui/translations/vi/LC_MESSAGES/messages.po", "rb") as f:
        for m in read_po(f):
            texts.extend(m.string if isinstance(m.string, tuple | list) else [m.string])

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "vi" and isinstance(value, str):
                    texts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for path in [*(ROOT / "workflow/reference").glob("*.yaml"),
                 *(ROOT / "rules/packs").glob("*.yaml")]:
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return texts


def _english_words() -> set[str]:
    with open(ROOT / "webui/translations/en/LC_MESSAGES/messages.po", "rb") as f:
        ids = [i for m in read_po(f) if m.id
               for i in (m.id if isinstance(m.id, tuple | list) else [m.id])]
    return _words(ids) - _words(_vietnamese_texts()) - NAMES


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[dict]:
    """The demo community (both tables) served by waitress over SQLite."""
    tmp = tmp_path_factory.mktemp("browser-vi")
    runtime = fresh_runtime(tmp, "browser-vi-key")
    build_demo(runtime, password=PASSWORD)
    with runtime.read() as s:
        table_id = s.scalar(select(Table.id).where(Table.code == "CANTHO"))
    app = create_app(make_settings(runtime, tmp), runtime=runtime)
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    served = Served(app, threads=4)
    yield {"base": f"http://127.0.0.1:{served.port}", "runtime": runtime, "table": table_id}
    served.stop()
    runtime.dispose()


class Chair:
    """The Vietnamese table's chair in a Vietnamese browser; every page checked as it comes."""

    def __init__(self, browser, site, english: set[str]) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.site, self.english, self.axe = site, english, Axe()
        self.context = browser.new_context(viewport={"width": 1280, "height": 900},
                                           locale="vi-VN")
        self.page = self.context.new_page()
        self.visited: list[str] = []

    def go(self, path: str) -> None:
        self.page.goto(self.site["base"] + path)

    def submit(self, selector: str) -> None:
        with self.page.expect_navigation():
            self.page.locator(selector).first.click()

    def check(self, shot: str) -> str:
        """Accessible, no English, screenshot saved; returns the page's HTML."""
        self.page.screenshot(path=str(ARTIFACTS / f"vi-{shot}.png"), full_page=True)
        results = self.axe.run(self.page)
        assert results.violations_count == 0, f"{shot}: {results.generate_report()}"
        texts = [CODE.sub(" ", text) for text in self.page.evaluate(_TEXTS)]
        english = [(text, sorted(_words([text]) & self.english))
                   for text in texts if _words([text]) & self.english]
        assert english == [], f"{shot} ({self.page.url}) shows English: {english}"
        self.visited.append(shot)
        return self.page.content()


def _new_situations(site) -> list[int]:
    with site["runtime"].read() as s:
        return sorted(s.scalars(select(Situation.id).where(
            Situation.table_id == site["table"], Situation.stage.in_(stages.NEW_STAGES[:2]))))


def test_english_words_are_found_and_vietnamese_is_not():
    english = _english_words()
    assert {"meeting", "agency", "disclosure", "choose"} <= english
    assert not _words(["Cấp quyền thông tin cho Công an thành phố Cần Thơ"]) & english


def test_a_meeting_in_vietnamese_shows_no_english(browser, site):
    chair = Chair(browser, site, _english_words())
    chair.go("/login")
    chair.check("login")
    chair.page.locator("input[name=email]").fill("cantho.chair@demo.hubtable.test")
    chair.page.locator("input[name=password]").fill(PASSWORD)
    chair.submit("main form button[type=submit]")
    chair.check("dashboard")

    chair.go("/meeting")
    chair.check("agenda")
    chair.submit("form[action$='/open'] button")
    chair.check("attendance")
    # A refused action: present without acknowledging; the core's error is in Vietnamese.
    chair.page.locator("input[name^=present-]").first.check()
    chair.submit("form button.primary")
    page = chair.check("attendance-refused")
    assert "đánh dấu “đã xác nhận”" in page and 'class="error-summary"' in page
    chair.submit("button[name=all]")  # all present and acknowledged, in one step
    chair.check("agenda-open")
    meeting_url = chair.page.url

    accept, reject = _new_situations(site)[:2]
    item = f"{meeting_url}/situations/{accept}".replace(chair.site["base"], "")
    chair.go(item)
    chair.check("situation-new")
    chair.submit("button[value=accept]")
    page = chair.check("situation-accepted")
    assert 'class="primary">' in page.split('id="step-disclose"')[1].split("</section>")[0]

    chair.submit("#step-disclose button[type=submit]")  # no agency ticked: refused
    page = chair.check("situation-disclose-refused")
    assert "Hãy chọn ít nhất một cơ quan." in page
    boxes = chair.page.locator("input[name=agency_ids]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    chair.submit("#step-disclose button[type=submit]")
    chair.check("situation-disclosed")
    chair.submit("#step-identity a.button")
    chair.check("identity-entry")
    chair.page.locator("#person-0-name").fill("Nguyễn Văn Thử")
    chair.page.locator("#person-0-birth_date").fill("2012-04-01")
    chair.submit("form button.primary")
    chair.check("situation-identity")
    lead = chair.page.locator("#lead_agency_id option[value]:not([value=''])").first
    chair.page.locator("#lead_agency_id").select_option(lead.get_attribute("value"))
    chair.submit("#step-plan button[type=submit]")
    page = chair.check("situation-planned")
    assert "Nguyễn Văn Thử" not in page

    chair.page.set_viewport_size({"width": 1024, "height": 768})
    chair.go(item.replace("/situations/", "/projector/"))
    chair.check("projector")
    for selector in (".projector-lead", ".projector-summary"):
        box = chair.page.locator(selector).bounding_box()
        assert box and box["y"] + box["height"] <= 768, f"{selector} below the fold"
    chair.page.set_viewport_size({"width": 1280, "height": 900})

    chair.go(item.replace(f"/situations/{accept}", f"/situations/{reject}"))
    chair.page.locator("#rejection_reason").select_option("single_agency")
    chair.submit("button[value=reject]")
    chair.check("situation-rejected")

    chair.go(meeting_url.replace(chair.site["base"], ""))
    chair.submit("form[action$='/close'] button")
    chair.check("minutes")
    with site["runtime"].read() as s:
        assert s.get(Situation, accept).stage == stages.STEPS["plan"].target
        assert s.get(Situation, reject).stage == stages.STEPS["reject"].target
    assert len(chair.visited) >= 15
    chair.context.close()
