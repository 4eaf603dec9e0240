"""Sessions end on the server: a copy of the cookie dies with sign-out, password change and
deactivation, and no session outlives its absolute lifetime however active it is."""

from __future__ import annotations

import time

from support.factories import PASSWORD, in_intervention

from tests.hardening.conftest import Web, signed_in
from workflow.models import User

COOKIE = "hubtable_session"


def _copy_of(web: Web, app) -> Web:
    """Another browser holding a copy of `web`'s session cookie."""
    thief = Web(app.test_client())
    thief.client.set_cookie(COOKIE, web.client.get_cookie(COOKIE).value)
    return thief


def test_a_copied_cookie_is_refused_after_logout(app, world):
    sid, _mid = in_intervention(world, identity_name="Cookie Thief Target")
    lead = signed_in(app, "cmha")
    thief = _copy_of(lead, app)
    assert thief.get(f"/situations/{sid}/identity").status_code == 200  # the copy works...
    assert lead.post("/logout").status_code == 302
    response = thief.get(f"/situations/{sid}/identity")  # ...until the owner signs out
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert "Cookie Thief Target" not in response.get_data(as_text=True)


def test_a_password_change_ends_every_other_copy_but_keeps_this_one(app, world):
    sid, _mid = in_intervention(world)
    lead = signed_in(app, "cmha")
    thief = _copy_of(lead, app)
    new = "another-long-password"
    response = lead.post("/account/password", {"current_password": PASSWORD,
                                               "new_password": new, "repeat_password": new})
    assert response.status_code == 302
    assert lead.get(f"/situations/{sid}/identity").status_code == 200
    assert thief.get(f"/situations/{sid}/identity").status_code == 302


def test_deactivation_ends_the_session(app, world, runtime):
    sid, _mid = in_intervention(world)
    lead = signed_in(app, "cmha")
    with runtime.command() as s:
        s.get(User, world.users["cmha"]).active = False
    assert lead.get(f"/situations/{sid}/identity").status_code == 302


def test_no_session_lives_past_its_absolute_lifetime(app, world):
    web = signed_in(app, "chair")
    assert web.get("/dashboard").status_code == 200
    lifetime = int(app.config["SESSION_LIFETIME"].total_seconds())
    with web.client.session_transaction() as session:
        session["born"] = int(time.time()) - lifetime - 1
        session["seen"] = int(time.time())  # active a moment ago: not an idle timeout
    response = web.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
