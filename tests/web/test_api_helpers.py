"""Shared helpers of the API tests: an app over the test runtime and a client per agency.

Collected by pytest for its name only; it holds no tests. Every API test runs on SQLite and on
PostgreSQL (the `runtime` fixture is parametrized over both).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from support.factories import World

from workflow import api_tokens
from workflow.runtime import Runtime

DRAFT: dict[str, Any] = {
    "table": "PEEL",
    "situation_type": "person",
    "age_group": "25-29",
    "gender": "female",
    "risk_factors": ["mental_health.diagnosed", "housing.transient", "drugs.person_use"],
    "aer_reasons": ["mental_health.diagnosed"],
    "summary": "Adult, recent eviction, not in care.",
    "persons_count": 1,
    "options_exhausted": True,
    "needs_multiple_agencies": True,
    "harm_probable_imminent": True,
    "consent": "not_possible",
    "help_source": None,
}


@dataclass
class Api:
    """A test client that sends one agency's token (or none, or any header given)."""

    client: FlaskClient
    tokens: dict[str, str]

    def headers(self, agency: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[agency]}"} if agency else {}

    def get(self, path: str, *, agency: str | None = None, headers: dict[str, str] | None = None):
        return self.client.get(f"/api/v1{path}", headers=headers or self.headers(agency))

    def post(self, path: str, body: Any = None, *, agency: str | None = None,
             raw: bytes | str | None = None, headers: dict[str, str] | None = None):
        data = raw if raw is not None else (json.dumps(body) if body is not None else b"")
        return self.client.post(f"/api/v1{path}", data=data,
                                headers={"Content-Type": "application/json",
                                         **(headers or self.headers(agency))})


def make_api(app: Flask, runtime: Runtime, world: World) -> Api:
    """A client of the served app (webui.create_app, the `app` fixture of tests/web/conftest.py)
    holding a fresh token of each of the world's agencies.

    Each test module declares its own `api` fixture calling this (importing a fixture into a
    module would shadow it in every test's signature).
    """
    with runtime.command() as s:
        tokens = {slug: api_tokens.issue_api_token(s, world.agency(s, slug), label="tests")
                  for slug in world.agencies}
    return Api(client=app.test_client(), tokens=tokens)


def error_of(response) -> dict[str, Any]:
    """The JSON error of a refusal, checked to have the API's error shape."""
    body = response.get_json()
    assert body is not None, response.data[:200]
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
    assert "field" in body["error"], body
    return body["error"]
