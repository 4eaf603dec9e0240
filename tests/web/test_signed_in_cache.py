"""Who a cookie names is kept per process until anything commits (webui.signed_in_cache): a
second request asks the database nothing, and a sign-out, password change or deactivation,
whoever commits it, is seen on the very next request (issue 17).

Each test first proves the kept answer is really used (a hit, no query), so none passes because
nothing is kept.
"""

from __future__ import annotations

from sqlalchemy import event, update
from support.factories import PASSWORD

from web.conftest import Web, signed_in
from workflow.models import User
from workflow.runtime import Runtime

COOKIE = "hubtable_session"
PAGE = "/account/password"


def _cache(app):
    return app.extensions["hubtable_signed_in_cache"]


def _warm(app, runtime, web: Web) -> None:
    """Two reads with nothing committed between: the second asks the database nothing."""
    assert web.get(PAGE).status_code == 200
    statements: list[str] = []

    def count(*args) -> None:
        statements.append(args[2])

    hits = _cache(app).hits
    event.listen(runtime.engine, "before_cursor_execute", count)
    try:
        assert web.get(PAGE).status_code == 200
    finally:
        event.remove(runtime.engine, "before_cursor_execute", count)
    assert _cache(app).hits == hits + 1, "the second read did not use the kept answer"
    assert statements == [], statements


def _copy_of(web: Web, app) -> Web:
    thief = Web(app.test_client())
    thief.client.set_cookie(COOKIE, web.client.get_cookie(COOKIE).value)
    return thief


def test_a_kept_reader_is_refused_once_deactivated_by_another_runtime(app, world, runtime):
    web = signed_in(app, "cmha")
    _warm(app, runtime, web)
    other = Runtime(database_url=runtime.database_url, keystore_url=runtime.keystore_url,
                    identity_key=runtime.identity_key)
    try:
        with other.command() as s:
            s.execute(update(User).where(User.id == world.users["cmha"]).values(active=False))
    finally:
        other.dispose()
    response = web.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_kept_copy_of_a_cookie_dies_with_sign_out(app, world, runtime):
    owner = signed_in(app, "cmha")
    thief = _copy_of(owner, app)
    _warm(app, runtime, thief)
    assert owner.post("/logout").status_code == 302
    assert thief.get(PAGE).status_code == 302


def test_a_kept_copy_dies_with_a_password_change_and_the_changer_stays(app, world, runtime):
    owner = signed_in(app, "cmha")
    thief = _copy_of(owner, app)
    _warm(app, runtime, thief)
    new = "another-long-password"
    response = owner.post(PAGE, {"current_password": PASSWORD, "new_password": new,
                                 "repeat_password": new})
    assert response.status_code == 302
    assert owner.get(PAGE).status_code == 200
    assert thief.get(PAGE).status_code == 302


def test_a_role_change_shows_on_the_next_page(app, world, runtime):
    web = signed_in(app, "cmha")
    _warm(app, runtime, web)
    assert 'href="/meeting"' not in web.get(PAGE).get_data(as_text=True)
    with runtime.command() as s:
        s.get(User, world.users["cmha"]).role = "chair"
    assert 'href="/meeting"' in web.get(PAGE).get_data(as_text=True)
