"""Sessions and sign-in, reviewed: a user let back in does not get their old cookies back, the
password form is throttled like the sign-in form, and a refused sign-in costs the same work for
every kind of account. Then what was found sound, kept so: cookie flags, no fixation, CSRF on
sign-out and language, one message for every refused sign-in, an agency move takes effect at once.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from support.factories import PASSWORD, in_intervention
from support.settings import make_settings

from tests.hardening.conftest import Web, signed_in
from webui import create_app
from workflow import directory, directory_admin
from workflow.api_actor import api_actor, api_email

COOKIE = "hubtable_session"
PAGE = "/account/password"


def _copy_of(web: Web, app) -> Web:
    thief = Web(app.test_client())
    thief.client.set_cookie(COOKIE, web.client.get_cookie(COOKIE).value)
    thief.token = web.token  # the session's CSRF token is in the copied cookie
    return thief


def test_reactivating_a_user_does_not_bring_back_their_old_cookies(app, world, runtime):
    owner = signed_in(app, "cmha")
    thief = _copy_of(owner, app)  # e.g. on the laptop that was lost: why the account was closed
    for active in (False, True):
        with runtime.command() as s:
            directory_admin.update_user(s, None, world.users["cmha"], active=active)
    for web in (owner, thief):
        response = web.get(PAGE)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert signed_in(app, "cmha").get(PAGE).status_code == 200  # a fresh sign-in works


def test_a_copied_cookie_cannot_guess_the_password_unthrottled(app, world):
    thief = _copy_of(signed_in(app, "school"), app)
    codes = [thief.post(PAGE, {"current_password": f"guess-number-{i}",
                               "new_password": "a-brand-new-passphrase",
                               "repeat_password": "a-brand-new-passphrase"}).status_code
             for i in range(12)]
    assert codes[:10] == [400] * 10 and codes[-1] == 429, codes
    # the owner's own password change is not blocked by another user's failures
    other = signed_in(app, "cmha")
    new = "a-brand-new-passphrase"
    assert other.post(PAGE, {"current_password": PASSWORD, "new_password": new,
                             "repeat_password": new}).status_code == 302


def test_a_refused_sign_in_costs_one_argon2_run_for_every_kind_of_account(world, monkeypatch):
    runs: list[str] = []

    class Counting(PasswordHasher):
        def hash(self, password, *, salt=None):  # type: ignore[override]
            runs.append("hash")
            return super().hash(password, salt=salt)

        def verify(self, hash, password):  # type: ignore[override]
            if hash.startswith("$argon2"):
                runs.append("verify")
            return super().verify(hash, password)

    monkeypatch.setattr(directory, "_hasher", Counting())
    with world.runtime.command() as s:
        api_user = api_actor(s, world.agency(s, "school"))  # its hash matches no password
        assert api_user.email == api_email(world.agency(s, "school"))
        for email in ("nobody@demo.hubtable.test", "school@demo.hubtable.test", api_user.email):
            runs.clear()
            assert directory.authenticate(s, email, "wrong-password") is None
            assert len(runs) == 1, (email, runs)


def test_an_https_site_sends_secure_cookies_and_hsts_behind_its_proxy(runtime, world, tmp_path):
    app = create_app(make_settings(runtime, tmp_path, base_url="https://hub.example"),
                     runtime=runtime, testing=True)
    web = Web(app.test_client())  # http, as behind the https proxy that waitress needs
    response = web.login("chair@demo.hubtable.test")
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE))
    assert {"Secure", "HttpOnly", "SameSite=Lax"} <= {p.strip() for p in cookie.split(";")}
    assert "Strict-Transport-Security" in response.headers


def test_a_cookie_planted_before_sign_in_stays_anonymous(app, world):
    web = Web(app.test_client())
    web.refresh_token()
    planted = web.client.get_cookie(COOKIE).value
    before = web.token
    response = web.client.post("/login", data={"email": "cmha@demo.hubtable.test",
                                               "password": PASSWORD, "csrf_token": before})
    assert response.status_code == 302
    assert web.client.get_cookie(COOKIE).value != planted
    web.refresh_token(PAGE)
    assert web.token != before  # a new CSRF token with the new session
    attacker = Web(app.test_client())
    attacker.client.set_cookie(COOKIE, planted)
    assert attacker.get(PAGE).status_code == 302


def test_sign_out_and_language_need_the_forms_token(app, world):
    web = signed_in(app, "cmha")
    assert web.client.post("/logout").status_code == 400
    assert web.client.post("/language", data={"language": "vi"}).status_code == 400
    assert web.client.post("/display", data={"large": "1"}).status_code == 400
    page = web.get(PAGE)
    assert page.status_code == 200 and 'lang="en"' in page.get_data(as_text=True)


def test_a_refused_sign_in_says_the_same_whether_or_not_the_account_exists(app, world,
                                                                           runtime):
    with runtime.command() as s:
        directory_admin.update_user(s, None, world.users["police"], active=False)
    said = set()
    for email, password in (("nobody@demo.hubtable.test", "wrong-password"),
                            ("school@demo.hubtable.test", "wrong-password"),
                            ("police@demo.hubtable.test", PASSWORD)):
        response = Web(app.test_client()).login(email, password)
        assert response.status_code == 400
        page = response.get_data(as_text=True).replace(email, "EMAIL")
        assert "do not match an active account" in page
        said.add(re.sub(r'name="csrf_token" value="[^"]+"', "", page))
    assert len(said) == 1  # the whole page, but for the address typed and the form's token


def test_moving_a_user_to_another_agency_takes_identity_away_at_once(app, world, runtime):
    sid, _mid = in_intervention(world)
    lead = signed_in(app, "cmha")
    assert lead.get(f"/situations/{sid}/identity").status_code == 200
    with runtime.command() as s:
        directory_admin.update_user(s, None, world.users["cmha"],
                                    agency_id=world.agencies["outsider"])
    assert lead.get(f"/situations/{sid}/identity").status_code in (403, 404)
