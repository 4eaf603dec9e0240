"""After sign-in, `next` goes only to a path on this site: never another host, never a header."""

from __future__ import annotations

import pytest
from support.factories import PASSWORD

from tests.hardening.conftest import Web


@pytest.mark.parametrize("target", [
    "/%09/evil.example/phish", "/%0d%0aSet-Cookie:x=1", "//evil.example", "/\\evil.example",
    "https://evil.example/", "/%0a/evil.example", "javascript:alert(1)", "/%7f/evil.example",
])
def test_login_never_redirects_off_site(app, target):
    web = Web(app.test_client())
    web.refresh_token("/login")
    response = web.client.post(f"/login?next={target}", data={
        "email": "chair@demo.hubtable.test", "password": PASSWORD, "csrf_token": web.token})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/", location
    assert "x=1" not in response.headers.get("Set-Cookie", "")


def test_login_follows_a_local_next(app):
    web = Web(app.test_client())
    web.refresh_token("/login")
    response = web.client.post("/login?next=/dashboard?stage=draft", data={
        "email": "chair@demo.hubtable.test", "password": PASSWORD, "csrf_token": web.token})
    assert response.headers["Location"] == "/dashboard?stage=draft"
