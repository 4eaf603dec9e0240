"""Web fixtures: an app over the shared `runtime` (SQLite and PostgreSQL), signed-in clients."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.factories import PASSWORD
from support.settings import make_settings

from webui import create_app

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(runtime, world, tmp_path) -> Flask:
    app = create_app(make_settings(runtime, tmp_path), runtime=runtime, testing=True)
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    return app


class Web:
    """A test client that signs in like a person and sends each form's CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = ""

    def refresh_token(self, path: str = "/login") -> None:
        page = self.client.get(path).get_data(as_text=True)
        found = _TOKEN.search(page)
        assert found, f"no CSRF token on {path}"
        self.token = found.group(1)

    def login(self, email: str, password: str = PASSWORD):
        self.refresh_token("/login")
        response = self.client.post("/login", data={"email": email, "password": password,
                                                    "csrf_token": self.token})
        if response.status_code == 302:
            self.refresh_token("/account/password")
        return response

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token)
        return self.client.post(path, data=data, **kwargs)


@pytest.fixture
def web(app) -> Web:
    return Web(app.test_client())


def signed_in(app: Flask, key: str) -> Web:
    web = Web(app.test_client())
    email = "chair@demo.hubtable.test" if key == "chair" else f"{key}@demo.hubtable.test"
    response = web.login(email)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return web
