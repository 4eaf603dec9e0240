"""A token past its expiry, or revoked, is refused by the API exactly as an unknown one: the
same status, body and headers, after the same single lookup by hash (nothing to enumerate);
a live token's last use is noted, at most once a minute."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from web.test_api_helpers import Api, make_api
from workflow import api_tokens
from workflow.models import ApiToken, utcnow


@pytest.fixture
def api(app, runtime, world) -> Api:
    return make_api(app, runtime, world)


def _issue(world, slug: str = "school", **kwargs) -> tuple[str, int]:
    with world.runtime.command() as s:
        issued = api_tokens.issue(s, world.agency(s, slug), label="expiry test", **kwargs)
        return issued.token, issued.row.id


def _set(world, token_id: int, **values) -> None:
    with world.runtime.command() as s:
        row = s.get(ApiToken, token_id)
        for name, value in values.items():
            setattr(row, name, value)


def _refusal(api, token: str) -> tuple[int, bytes, str | None]:
    answer = api.get("/situations", headers={"Authorization": f"Bearer {token}"})
    return answer.status_code, answer.data, answer.headers.get("WWW-Authenticate")


def test_a_token_works_until_its_expiry_then_is_refused(api, world):
    token, token_id = _issue(world, days=1)
    assert api.get("/situations", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    _set(world, token_id, expires_at=utcnow() - timedelta(seconds=1))
    assert _refusal(api, token)[0] == 401


def test_expired_and_revoked_tokens_are_refused_exactly_like_an_unknown_one(api, world):
    expired, _ = _issue(world, days=1, now=utcnow() - timedelta(days=2))
    revoked, revoked_id = _issue(world)
    with world.runtime.command() as s:
        api_tokens.revoke(s, revoked_id)
    unknown = "ht_" + "x" * 43  # the shape of a real token
    answers = {name: _refusal(api, token) for name, token in
               (("unknown", unknown), ("expired", expired), ("revoked", revoked))}
    assert answers["unknown"][0] == 401
    assert answers["expired"] == answers["unknown"]
    assert answers["revoked"] == answers["unknown"]


def test_unknown_revoked_and_expired_tokens_take_the_same_single_lookup(world):
    """The same statements, one read and no write, whichever of the three: the refusal's
    timing cannot tell a caller which one it holds."""
    expired, _ = _issue(world, days=1, now=utcnow() - timedelta(days=2))
    revoked, revoked_id = _issue(world)
    with world.runtime.command() as s:
        api_tokens.revoke(s, revoked_id)
    statements: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    seen: dict[str, list[str]] = {}
    event.listen(world.runtime.engine, "before_cursor_execute", note)
    try:
        for name, token in (("unknown", "ht_" + "y" * 43), ("expired", expired),
                            ("revoked", revoked)):
            statements.clear()
            with world.runtime.command() as s:
                assert api_tokens.agency_for_token(s, token) is None
            seen[name] = [q for q in statements if "api_tokens" in q]
    finally:
        event.remove(world.runtime.engine, "before_cursor_execute", note)
    assert len(seen["unknown"]) == 1 and seen["unknown"][0].lstrip().upper().startswith("SELECT")
    assert seen["expired"] == seen["unknown"] and seen["revoked"] == seen["unknown"]


def test_a_token_without_expiry_from_before_migration_0018_keeps_working(api, world):
    token, token_id = _issue(world)
    _set(world, token_id, expires_at=None)
    assert api.get("/situations", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def _last_used(world, token_id: int):
    with world.runtime.read() as s:
        return s.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token_id))


def test_last_use_is_noted_at_most_once_a_minute(api, world):
    token, token_id = _issue(world)
    assert _last_used(world, token_id) is None
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/situations", headers=headers).status_code == 200
    first = _last_used(world, token_id)
    assert first is not None and utcnow() - first < timedelta(minutes=1)
    assert api.get("/tasks", headers=headers).status_code == 200
    assert _last_used(world, token_id) == first  # within the minute: no second write
    later = first + api_tokens.TOUCH_EVERY + timedelta(seconds=1)
    with world.runtime.command() as s:
        assert api_tokens.agency_for_token(s, token, now=later) is not None
    assert _last_used(world, token_id) == later


def test_a_refused_token_is_not_noted_as_used(api, world):
    token, token_id = _issue(world, days=1, now=utcnow() - timedelta(days=2))
    assert _refusal(api, token)[0] == 401
    assert _last_used(world, token_id) is None
