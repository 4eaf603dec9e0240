"""An administrator issues, lists and revokes an agency's API tokens on its page
(/admin/agencies/<id>). A new token is shown once, in the page answering the POST, in a
labelled read-only field, and nowhere else (no session, no URL, no log, no cache); the list
never shows a token or its hash. Only an administrator may, a token of another agency is not
found through this agency's page, and bad input is an error beside its field with nothing
saved. Both databases."""

from __future__ import annotations

import html as markup
import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from web.conftest import signed_in
from web.test_agency_admin import _error_near
from workflow import api_tokens
from workflow.errors import PermissionDenied
from workflow.models import Agency, ApiToken, AuditEntry, User, utcnow

_SHOWN = re.compile(r'<input id="issued_token" type="text" value="([^"]+)" readonly')


def _url(world, slug: str = "housing") -> str:
    return f"/admin/agencies/{world.agencies[slug]}"


def _issue(world, slug: str, label: str, **kwargs) -> tuple[str, int]:
    with world.runtime.command() as s:
        issued = api_tokens.issue(s, world.agency(s, slug), label=label, **kwargs)
        return issued.token, issued.row.id


def _count(world, model, *where) -> int:
    with world.runtime.read() as s:
        return s.scalar(select(func.count(model.id)).where(*where)) or 0


def _audit(world, action: str) -> list[AuditEntry]:
    with world.runtime.read() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()
        s.expunge_all()
        return list(entries)


def _holder(world, token: str) -> str | None:
    with world.runtime.command() as s:
        agency = api_tokens.agency_for_token(s, token)
        return agency.slug if agency is not None else None


def _with_three_tokens(world) -> dict[str, tuple[str, int]]:
    """Housing holds a live, an expired and a revoked token; police holds one of its own."""
    made = {"live": _issue(world, "housing", "Case system"),
            "expired": _issue(world, "housing", "Old bridge", days=1,
                              now=utcnow() - timedelta(days=3)),
            "revoked": _issue(world, "housing", "Retired script"),
            "police": _issue(world, "police", "Dispatch link")}
    with world.runtime.command() as s:
        api_tokens.revoke(s, made["revoked"][1])
    return made


def test_the_page_lists_the_agencys_tokens_in_a_table_without_token_or_hash(app, world):
    made = _with_three_tokens(world)
    page = signed_in(app, "admin").get(_url(world))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<caption>API tokens of " in html
    for header in ("Label", "Created", "Expires", "Last used", "Status"):
        assert f'<th scope="col">{header}</th>' in html
    cells = dict(re.findall(r"<tr><td>([^<]*)</td>(.*?)</tr>", html, re.S))
    assert [k for k in cells if k.startswith(("Case", "Old", "Retired"))] == [
        "Case system", "Old bridge", "Retired script"]
    assert "<td>active</td>" in cells["Case system"]
    assert "<td>expired</td>" in cells["Old bridge"]
    assert "<td>revoked</td>" in cells["Retired script"]
    assert "Dispatch link" not in html  # another agency's token is not listed here
    revoke = re.findall(r'action="(/admin/agencies/\d+/tokens/\d+/revoke)"', html)
    assert revoke == [f"{_url(world)}/tokens/{made['live'][1]}/revoke"]  # live ones only
    for token, _ in made.values():
        assert token not in html and api_tokens.token_hash(token) not in html


def test_issuing_shows_the_token_once_in_a_labelled_read_only_field(app, world):
    admin = signed_in(app, "admin")
    before = utcnow()
    response = admin.post(f"{_url(world)}/tokens", {"token_label": "Case system",
                                                    "token_days": "365"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    shown = _SHOWN.search(html)
    assert shown, "no read-only field with the new token"
    token = markup.unescape(shown.group(1))
    assert '<label for="issued_token">' in html and 'aria-describedby="issued_token-hint"' in html
    assert "will not be shown again" in html
    assert _holder(world, token) == "housing"
    with world.runtime.read() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.agency_id == world.agencies["housing"]))
        assert row.label == "Case system"
        assert timedelta(days=365) <= row.expires_at - before < timedelta(days=365, minutes=5)
    entry, = _audit(world, "api_token.issue")
    assert entry.actor_id == world.users["admin"] and token not in str(entry.detail)
    again = admin.get(_url(world)).get_data(as_text=True)
    assert token not in again and 'id="issued_token"' not in again
    assert "Case system" in again and "<td>active</td>" in again


def test_the_new_token_is_kept_in_no_session_url_or_log(app, world, caplog):
    admin = signed_in(app, "admin")
    caplog.set_level(logging.DEBUG)
    response = admin.post(f"{_url(world)}/tokens", {"token_label": "", "token_days": "30"})
    token = markup.unescape(_SHOWN.search(response.get_data(as_text=True)).group(1))
    assert token not in caplog.text
    assert "Location" not in response.headers
    assert all(token not in value for _, value in response.headers.items())
    cookie = admin.client.get_cookie("hubtable_session")
    session = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert token not in repr(session)
    assert token not in admin.get(_url(world)).get_data(as_text=True)


@pytest.mark.parametrize(("field", "value", "words"), [
    ("token_days", "0", "1 to 3650"),
    ("token_days", "3651", "1 to 3650"),
    ("token_days", "a year", "1 to 3650"),
    ("token_days", "", "1 to 3650"),
    ("token_label", "x" * 101, "100 characters"),
])
def test_a_bad_lifetime_or_label_is_an_error_beside_its_field_and_nothing_is_saved(
        app, world, field, value, words):
    form = {"token_label": "Case system", "token_days": "365", field: value}
    response = signed_in(app, "admin").post(f"{_url(world)}/tokens", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert words in _error_near(html, field)
    assert 'id="issued_token"' not in html
    assert _count(world, ApiToken) == 0 and _audit(world, "api_token.issue") == []


def test_an_inactive_agency_gets_no_new_token(app, world):
    with world.runtime.command() as s:
        s.get(Agency, world.agencies["housing"]).active = False
    response = signed_in(app, "admin").post(f"{_url(world)}/tokens", {
        "token_label": "Case system", "token_days": "365"})
    assert response.status_code == 400
    assert "not active" in _error_near(response.get_data(as_text=True), "new_token")
    assert _count(world, ApiToken) == 0 and _audit(world, "api_token.issue") == []


def test_revoking_from_the_page_stops_the_token_and_is_audited_once(app, world):
    token, token_id = _issue(world, "housing", "Case system")
    admin = signed_in(app, "admin")
    done = admin.post(f"{_url(world)}/tokens/{token_id}/revoke")
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"{_url(world)}#tokens")
    assert _holder(world, token) is None
    page = admin.get(_url(world)).get_data(as_text=True)
    assert "API token revoked" in page and "<td>revoked</td>" in page
    again = admin.post(f"{_url(world)}/tokens/{token_id}/revoke")
    assert again.status_code == 303
    assert "already revoked" in admin.get(_url(world)).get_data(as_text=True)
    entry, = _audit(world, "api_token.revoke")
    assert entry.actor_id == world.users["admin"]


def test_another_agencys_token_or_an_unknown_one_is_not_found_through_this_page(app, world):
    token, token_id = _issue(world, "police", "Dispatch link")
    admin = signed_in(app, "admin")
    assert admin.post(f"{_url(world)}/tokens/{token_id}/revoke").status_code == 404
    assert admin.post(f"{_url(world)}/tokens/999999/revoke").status_code == 404
    assert admin.post("/admin/agencies/999999/tokens", {"token_days": "30"}).status_code == 404
    assert _holder(world, token) == "police"
    assert _audit(world, "api_token.revoke") == []
    # Through its own agency's page, the same token is revoked: the refusal was the agency's.
    assert admin.post(f"{_url(world, 'police')}/tokens/{token_id}/revoke").status_code == 303
    assert _holder(world, token) is None


def test_only_an_administrator_issues_or_revokes(app, world):
    token, token_id = _issue(world, "housing", "Case system")
    chair = signed_in(app, "chair")
    assert chair.post(f"{_url(world)}/tokens", {"token_days": "30"}).status_code == 403
    assert chair.post(f"{_url(world)}/tokens/{token_id}/revoke").status_code == 403
    assert _holder(world, token) == "housing" and _count(world, ApiToken) == 1
    with world.runtime.command() as s:
        chair_user = s.get(User, world.users["chair"])
        with pytest.raises(PermissionDenied):
            api_tokens.issue(s, world.agency(s, "housing"), actor=chair_user)
        with pytest.raises(PermissionDenied):
            api_tokens.revoke(s, token_id, actor=chair_user)
        with pytest.raises(PermissionDenied):
            api_tokens.tokens(s, actor=chair_user)
    assert _holder(world, token) == "housing" and _count(world, ApiToken) == 1
