"""An administrator changes an agency after creating it (workflow/directory_admin.update_agency),
and the installation always keeps one active administrator (update_user): happy paths and
refusals. Every change is audited by name, never with an address, and told to the agency."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from support.factories import PASSWORD

from workflow import directory, directory_admin
from workflow.errors import NotFound, PermissionDenied, ValidationError
from workflow.models import Agency, AuditEntry, OutboxEvent, User


def _entries(db, action: str) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _sign_in(db, key: str) -> User | None:
    return directory.authenticate(db, f"{key}@demo.hubtable.test", PASSWORD)


# -- update_agency --------------------------------------------------------------------------
def test_update_agency_contact_and_language_audited_by_name_and_told(db, cmd, user, steps):
    with cmd() as s:
        directory_admin.update_agency(s, user("admin"), steps.agency("housing"),
                                      contact_email="intake@housing.test", language="vi")
    agency = db.get_one(Agency, steps.agency("housing"))
    assert (agency.contact_email, agency.language) == ("intake@housing.test", "vi")
    [entry] = _entries(db, "agency.update")
    assert entry.detail["changed"] == ["contact_email", "language"]
    assert "intake@housing.test" not in str(entry.detail)  # what changed, never the address
    told = db.scalars(select(OutboxEvent).where(OutboxEvent.event_type == "directory.changed"))
    assert [e.agency_ids for e in told] == [[steps.agency("housing")]]


def test_update_agency_with_nothing_new_writes_nothing(db, cmd, user, steps):
    agency = db.get_one(Agency, steps.agency("housing"))
    with cmd() as s:
        directory_admin.update_agency(s, user("admin"), agency.id,
                                      contact_email=agency.contact_email,
                                      language=agency.language, active=True)
    assert _entries(db, "agency.update") == []


def test_update_agency_deactivating_ends_sessions_and_sign_in_until_reactivated(
        db, cmd, user, steps):
    before = user("housing").session_generation
    assert _sign_in(db, "housing") is not None
    with cmd() as s:
        directory_admin.update_agency(s, user("admin"), steps.agency("housing"), active=False)
    assert user("housing").session_generation == before + 1
    assert _sign_in(db, "housing") is None
    assert _sign_in(db, "cmha") is not None  # other agencies are untouched
    with cmd() as s:
        directory_admin.update_agency(s, user("admin"), steps.agency("housing"), active=True)
    assert _sign_in(db, "housing") is not None
    assert user("housing").session_generation == before + 1  # old sessions stay ended
    assert [e.detail["active"] for e in _entries(db, "agency.update")] == [False, True]


def test_update_agency_refuses_to_deactivate_open_work_until_understood(db, cmd, user, steps):
    steps.planned()  # CMHA leads, housing assists
    admin = user("admin")
    assert directory_admin.open_situations_of(db, admin, steps.agency("cmha")) == 1
    assert directory_admin.open_situations_of(db, admin, steps.agency("housing")) == 1
    assert directory_admin.open_situations_of(db, admin, steps.agency("police")) == 0
    with pytest.raises(ValidationError) as refused, cmd() as s:
        directory_admin.update_agency(s, admin, steps.agency("cmha"), active=False)
    assert refused.value.field == "open_work_understood"
    assert db.get_one(Agency, steps.agency("cmha")).active
    with cmd() as s:
        directory_admin.update_agency(s, admin, steps.agency("cmha"), active=False,
                                      open_work_understood=True)
    assert not db.get_one(Agency, steps.agency("cmha")).active


def test_update_agency_refuses_non_admins_unknown_agencies_bad_emails_and_languages(
        db, cmd, user, steps):
    housing = steps.agency("housing")
    with pytest.raises(PermissionDenied), cmd() as s:
        directory_admin.update_agency(s, user("chair"), housing, active=False)
    with pytest.raises(NotFound), cmd() as s:
        directory_admin.update_agency(s, user("admin"), 999_999, active=False)
    for fields, field in (({"contact_email": "not an address"}, "contact_email"),
                          ({"contact_email": "a@b.test, c@d.test"}, "contact_email"),
                          ({"contact_email": "x" * 200 + "@b.test"}, "contact_email"),
                          ({"language": "fr"}, "language")):
        with pytest.raises(ValidationError) as refused, cmd() as s:
            directory_admin.update_agency(s, user("admin"), housing, active=False, **fields)
        assert refused.value.field == field
    agency = db.get_one(Agency, housing)
    assert agency.active and agency.contact_email == "housing@agencies.test"
    assert _entries(db, "agency.update") == []


# -- the last active administrator -----------------------------------------------------------
@pytest.mark.parametrize("actor", ["admin", None])  # the web page, and `hubtable users`
def test_update_user_refuses_to_demote_or_deactivate_the_last_active_administrator(
        db, cmd, user, steps, actor):
    admin = user("admin")
    acting = admin if actor else None
    with pytest.raises(ValidationError) as refused, cmd() as s:
        directory_admin.update_user(s, acting, admin.id, role="agency_rep",
                                    agency_id=steps.agency("police"))
    assert refused.value.field == "role"
    with pytest.raises(ValidationError) as refused, cmd() as s:
        directory_admin.update_user(s, acting, admin.id, active=False)
    assert refused.value.field == "active"
    assert (admin.role, admin.active, admin.agency_id) == ("admin", True, None)
    assert _entries(db, "user.update") == []


def test_update_user_lets_an_administrator_step_down_once_another_is_active(db, cmd, user):
    with cmd() as s:
        other = directory_admin.add_user(s, user("admin"), email="second@demo.hubtable.test",
                                         display_name="Second", password="a-long-passphrase",
                                         role="admin")
    with cmd() as s:
        directory_admin.update_user(s, user("admin"), user("admin").id, active=False)
    assert not user("admin").active
    with pytest.raises(ValidationError), cmd() as s:  # now the other one is the last
        directory_admin.update_user(s, other, other.id, active=False)
