"""Driving Debian's chromium through Playwright: the browser's launch arguments, where the
screenshots go, and one signed-in person with axe-core at hand (FIELD-NOTES: never download
a browser; `playwright install` fails here).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine
from support.factories import PASSWORD

from workflow.models import Base
from workflow.runtime import Runtime

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def fresh_runtime(tmp: Path, identity_key: str = "browser-test-key") -> Runtime:
    """A new SQLite database with the schema in `tmp`, for one browser module's site; fails at
    once (never skips) when Debian's chromium is missing."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y "
                    "chromium); the tests never download a browser")
    url = f"sqlite:///{tmp / 'hubtable.db'}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    ARTIFACTS.mkdir(exist_ok=True)
    return Runtime(database_url=url, keystore_url=f"sqlite:///{tmp / 'keystore.db'}",
                   identity_key=identity_key)


class Person:
    """One signed-in person in their own browser context."""

    def __init__(self, browser, site, name: str) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.site, self.name = site, name
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.axe = Axe()

    def go(self, path: str):
        url = path if path.startswith("http") else self.site["base"] + path
        return self.page.goto(url)

    def sign_in(self, email: str) -> None:
        self.go("/login")
        self.page.get_by_label("Email address").fill(email)
        self.page.get_by_label("Password").fill(PASSWORD)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Sign in").click()
        assert "/login" not in self.page.url, self.page.content()[:2000]

    def check(self, shot: str) -> str:
        """Accessible (axe-core: no violation; at 320 px wide, as at 400% zoom, the page never
        scrolls sideways: WCAG 1.4.10), screenshot saved; returns the page's text."""
        self.page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
        results = self.axe.run(self.page)
        assert results.violations_count == 0, f"{shot}: {results.generate_report()}"
        size = self.page.viewport_size
        self.page.set_viewport_size({"width": 320, "height": 800})
        try:
            wide = self.page.evaluate("document.documentElement.scrollWidth")
        finally:
            if size is not None:
                self.page.set_viewport_size(size)
        assert wide <= 320, f"{shot}: {wide} px wide at a 320 px viewport"
        return self.page.content()

    def click(self, role: str, name: str) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role(role, name=name, exact=True).first.click()

    def close(self) -> None:
        self.context.close()
