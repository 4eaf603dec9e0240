"""End-to-end: real servers (waitress, `hubtable up`, Prefect, the dispatcher as a process) and
Debian's chromium. Slow by nature (seconds to minutes a test): `make test-fast` leaves them out.

An SMTP server on a free port receives what they send; `settings` point at it.
"""

from __future__ import annotations

import pytest
from support.settings import make_settings

from e2e.browsing import ARGS, CHROMIUM
from hubtable.config import Settings


@pytest.fixture
def settings(runtime, smtp_server, tmp_path) -> Settings:
    return make_settings(runtime, tmp_path, "https://hub.example.org",
                         smtp_url=f"smtp://127.0.0.1:{smtp_server.port}")


@pytest.fixture(scope="module")
def browser(site):
    """Debian's chromium for the module's `site` (each browser module serves its own)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()
