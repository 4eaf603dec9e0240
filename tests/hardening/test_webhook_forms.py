"""A refused webhook comes back in its own agency's form: the error beside that agency's URL
field (the summary links its real id), and the URL as typed (both databases)."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.hardening.conftest import signed_in
from workflow.models import NotificationPreference

SECRET = "a-webhook-secret-of-some-length"
TYPED = "http://127.0.0.1:9/typed-hook"


def _section(html: str, name: str) -> str:
    found = re.search(rf"<section>\s*<h2>{re.escape(name)}</h2>.*?</section>", html, re.S)
    assert found, f"no section for {name}"
    return found.group(0)


def _nothing_stored(world, agency_id: int) -> bool:
    with world.runtime.read() as s:
        return s.scalar(select(NotificationPreference.id).where(
            NotificationPreference.agency_id == agency_id,
            NotificationPreference.channel == "webhook")) is None


def test_admin_page_places_the_error_beside_the_agency_field_and_keeps_the_url(app, world):
    police = world.agencies["police"]
    response = signed_in(app, "admin").post("/admin/webhooks", {
        "agency_id": str(police), "webhook_url": TYPED, "webhook_secret": SECRET})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert f'href="#webhook_url-{police}"' in summary and 'href="#webhook_url"' not in summary
    section = _section(html, "Peel Police")
    assert f'<p class="error" id="webhook_url-{police}-error">' in section
    field = re.search(rf'<input id="webhook_url-{police}"[^>]*>', section).group(0)
    assert f'value="{TYPED}"' in field and f'aria-describedby="webhook_url-{police}-error"' in field
    other = _section(html, "Housing Services")  # another agency's form is left as it was
    assert TYPED not in other and 'class="error"' not in other
    assert _nothing_stored(world, police)


def test_a_short_secret_is_shown_beside_the_secret_field(app, world):
    cmha = world.agencies["cmha"]
    response = signed_in(app, "admin").post("/admin/webhooks", {
        "agency_id": str(cmha), "webhook_url": "https://8.8.8.8/hook",
        "webhook_secret": "short"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    section = _section(html, "Mental Health Association")
    assert f'href="#webhook_secret-{cmha}"' in html
    assert f'id="webhook_secret-{cmha}-error"' in section
    assert 'value="https://8.8.8.8/hook"' in section
    assert "short" not in re.search(rf'<input id="webhook_secret-{cmha}"[^>]*>', section).group(0)


def test_an_agency_page_keeps_the_typed_url_beside_its_error(app, world):
    cmha = world.agencies["cmha"]
    response = signed_in(app, "cmha").post("/agency/webhook", {
        "webhook_url": TYPED, "webhook_secret": SECRET})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'href="#webhook_url-{cmha}"' in html
    assert f'<p class="error" id="webhook_url-{cmha}-error">' in html
    assert re.search(rf'<input id="webhook_url-{cmha}"[^>]*value="{re.escape(TYPED)}"', html)
    assert _nothing_stored(world, cmha)
