"""Failed sign-ins are throttled per account and per address; successful ones never are."""

from __future__ import annotations

from support.factories import PASSWORD

from tests.hardening.conftest import Web
from workflow import directory


def test_twenty_people_sign_in_in_turn_from_one_office(app, runtime, world):
    with runtime.command() as s:
        agency_id = world.agencies["police"]
        hashed = s.get(directory.User, world.users["police"]).password_hash
        for i in range(20):
            directory.create_user(s, email=f"staff{i}@demo.hubtable.test",
                                  display_name=f"Staff {i}", password="", role="agency_rep",
                                  agency_id=agency_id, password_hash=hashed)
    codes = [Web(app.test_client()).login(f"staff{i}@demo.hubtable.test").status_code
             for i in range(20)]
    assert codes == [302] * 20


def test_thirty_wrong_passwords_for_one_account_end_in_429(app):
    web = Web(app.test_client())
    codes = [web.login("school@demo.hubtable.test", "wrong-password").status_code
             for _ in range(30)]
    assert 429 in codes
    assert codes[:10] == [400] * 10
    # the right password is refused too while the account is throttled
    assert web.login("school@demo.hubtable.test", PASSWORD).status_code == 429
    # another account from the same address is not locked out by that
    assert Web(app.test_client()).login("cmha@demo.hubtable.test").status_code == 302


def test_many_accounts_failing_from_one_address_meet_the_address_bar(app):
    app.config["LOGIN_ADDRESS_RATE_LIMIT"] = "5 per minute"
    web = Web(app.test_client())
    codes = [web.login(f"nobody{i}@demo.hubtable.test", "wrong-password").status_code
             for i in range(6)]
    assert codes[-1] == 429 and codes[:5] == [400] * 5
