"""The administrator's user and agency forms accept only what they offer: anything else is an
error beside its field (linked from the summary), what was typed stays, and nothing stored
changes (both databases)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from web.conftest import signed_in
from workflow import directory, directory_admin
from workflow.errors import ValidationError
from workflow.models import Agency, AuditEntry, User


def _error_near(html: str, field: str) -> str:
    """The error shown beside `field`, which the error summary links to, on a page that has
    an element with that id."""
    found = re.search(rf'<p class="error" id="{re.escape(field)}-error">(.*?)</p>', html, re.S)
    assert found, f"no error shown next to {field}"
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert summary and f'href="#{field}"' in summary.group(0), f"the summary misses {field}"
    assert f'id="{field}"' in html, f"the summary links {field}, which is not on the page"
    return re.sub(r"<[^>]+>", "", found.group(1))


def _user(world, key: str) -> User:
    with world.runtime.read() as s:
        user = s.get(User, world.users[key])
        s.expunge(user)
        return user


def _updates(world) -> int:
    with world.runtime.read() as s:
        return s.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "user.update")) or 0


def _edit_form(world, **overrides) -> dict:
    return {"role": "agency_rep", "agency_id": str(world.agencies["hospital"]),
            "active": "yes", "table_ids-shown": "1", **overrides}


# -- defect 1: "May sign in" is yes or no, never a silent "no" ------------------------------
@pytest.mark.parametrize("active", ["maybe", "", "YES", None])
def test_may_sign_in_other_than_yes_or_no_is_a_field_error_and_keeps_the_user_active(
        app, world, active):
    form = _edit_form(world, active=active)
    if active is None:
        del form["active"]  # the form's two radio buttons always send one of them
    response = signed_in(app, "admin").post(f"/admin/users/{world.users['hospital']}", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "sign in" in _error_near(html, "active")
    assert _user(world, "hospital").active is True
    assert _updates(world) == 0


def test_may_sign_in_no_still_deactivates(app, world):
    response = signed_in(app, "admin").post(f"/admin/users/{world.users['hospital']}",
                                            _edit_form(world, active="no"))
    assert response.status_code == 302
    assert _user(world, "hospital").active is False


# -- defect 2: an agency that is not one of the list ----------------------------------------
@pytest.mark.parametrize("agency_id", ["abc", "-1", "2147483648", "²"])
def test_an_agency_id_that_is_not_an_id_is_a_field_error_when_editing(app, world, agency_id):
    response = signed_in(app, "admin").post(f"/admin/users/{world.users['hospital']}",
                                            _edit_form(world, agency_id=agency_id,
                                                       active="no"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "agency" in _error_near(html, "agency_id").lower()
    user = _user(world, "hospital")
    assert user.agency_id == world.agencies["hospital"] and user.active is True
    assert _updates(world) == 0


@pytest.mark.parametrize("agency_id", ["abc", "0"])
def test_an_agency_id_that_is_not_an_id_is_a_field_error_when_creating(app, world, agency_id):
    response = signed_in(app, "admin").post("/admin/users", {
        "email": "new@demo.hubtable.test", "display_name": "Typed Name",
        "password": "long-enough-password", "role": "admin", "agency_id": agency_id,
        "language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "agency" in _error_near(html, "agency_id").lower()
    assert 'value="Typed Name"' in html
    with world.runtime.read() as s:
        assert s.scalar(select(User.id).where(User.email == "new@demo.hubtable.test")) is None


@pytest.mark.parametrize("path", ["/admin/users", "user"])
def test_table_ids_that_are_not_ids_are_a_field_error(app, world, path):
    admin = signed_in(app, "admin")
    if path == "user":
        response = admin.post(f"/admin/users/{world.users['manager']}", _edit_form(
            world, role="manager", agency_id=str(world.agencies["cmha"]),
            table_ids=["abc"]))
    else:
        response = admin.post(path, {
            "email": "new@demo.hubtable.test", "display_name": "New", "language": "en",
            "password": "long-enough-password", "role": "manager", "table_ids-shown": "1",
            "agency_id": str(world.agencies["cmha"]), "table_ids": [str(world.table_id), "abc"]})
    assert response.status_code == 400
    assert _error_near(response.get_data(as_text=True), "table_ids")
    with world.runtime.read() as s:
        assert [t.table_id for t in s.get(User, world.users["manager"]).scopes] == [
            world.table_id]
        assert s.scalar(select(User.id).where(User.email == "new@demo.hubtable.test")) is None


# -- defect 3: an administrator belongs to no agency ----------------------------------------
def test_creating_an_administrator_with_an_agency_is_a_field_error(app, world):
    response = signed_in(app, "admin").post("/admin/users", {
        "email": "second.admin@demo.hubtable.test", "display_name": "Second admin",
        "password": "long-enough-password", "role": "admin",
        "agency_id": str(world.agencies["police"]), "language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "administrator" in _error_near(html, "agency_id")
    with world.runtime.read() as s:
        assert s.scalar(select(User.id).where(
            User.email == "second.admin@demo.hubtable.test")) is None


def test_making_a_user_an_administrator_asks_to_clear_the_agency_first(app, world):
    admin = signed_in(app, "admin")
    hospital = world.users["hospital"]
    response = admin.post(f"/admin/users/{hospital}", _edit_form(world, role="admin"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "administrator" in _error_near(html, "agency_id")
    assert re.search(r'<option value="admin" selected>', html), "the typed role is kept"
    user = _user(world, "hospital")
    assert (user.role, user.agency_id) == ("agency_rep", world.agencies["hospital"])
    # with "None" as the agency, the same form makes them an administrator of no agency
    response = admin.post(f"/admin/users/{hospital}", _edit_form(world, role="admin",
                                                                 agency_id=""))
    assert response.status_code == 302
    user = _user(world, "hospital")
    assert (user.role, user.agency_id) == ("admin", None)


def test_an_agency_user_cannot_be_left_without_an_agency(app, world):
    response = signed_in(app, "admin").post(f"/admin/users/{world.users['hospital']}",
                                            _edit_form(world, agency_id=""))
    assert response.status_code == 400
    assert "belongs to an agency" in _error_near(response.get_data(as_text=True), "agency_id")
    assert _user(world, "hospital").agency_id == world.agencies["hospital"]


def test_the_core_refuses_an_administrator_with_an_agency_whatever_the_path(world):
    with pytest.raises(ValidationError) as refused, world.runtime.command() as s:
        directory_admin.add_user(s, None, email="cli.admin@demo.hubtable.test",
                                 display_name="CLI admin", password="long-enough-password",
                                 role="admin", agency_id=world.agencies["police"])
    assert refused.value.field == "agency_id"
    with pytest.raises(ValidationError) as refused, world.runtime.command() as s:
        directory_admin.update_user(s, world.user(s, "admin"), world.users["hospital"],
                                    role="admin")
    assert refused.value.field == "agency_id"
    assert _user(world, "hospital").role == "agency_rep"


# -- defect 4: agencies' names are unique; their tables are ids -----------------------------
def _agency_form(**overrides) -> dict:
    return {"slug": "peel-regional-police", "name": "Peel Regional Police",
            "sector": "police", "contact_email": "", "language": "en", **overrides}


def _agencies_named(world, name: str) -> int:
    with world.runtime.read() as s:
        return s.scalar(select(func.count(Agency.id)).where(Agency.name == name)) or 0


@pytest.mark.parametrize("again", ["Peel Regional Police", "  peel regional POLICE ",
                                   "Peel  Regional  Police"])
def test_a_second_agency_with_the_same_name_is_a_field_error(app, world, again):
    admin = signed_in(app, "admin")
    assert admin.post("/admin/agencies", _agency_form()).status_code == 302
    response = admin.post("/admin/agencies", _agency_form(slug="peel-police-2", name=again))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Peel Regional Police" in _error_near(html, "name")
    assert 'value="peel-police-2"' in html, "the typed slug is kept"
    with world.runtime.read() as s:
        assert s.scalar(select(func.count(Agency.id)).where(
            func.lower(Agency.name).like("%peel%regional%police%"))) == 1


def test_the_core_refuses_a_duplicate_agency_name_on_every_path(world):
    with pytest.raises(ValidationError) as refused, world.runtime.command() as s:
        directory.create_agency(s, slug="peel-police-again", name="PEEL POLICE ",
                                sector="police")
    assert refused.value.field == "name"
    with pytest.raises(ValidationError), world.runtime.command() as s:
        directory_admin.add_agency(s, world.user(s, "admin"), slug="mha-2",
                                   name="mental health association", sector="mental_health")
    assert _agencies_named(world, "PEEL POLICE ") == 0


def test_agency_table_ids_that_are_not_ids_are_a_field_error(app, world):
    response = signed_in(app, "admin").post("/admin/agencies", _agency_form(
        **{"table_ids": ["abc"], "table_ids-shown": "1"}))
    assert response.status_code == 400
    assert _error_near(response.get_data(as_text=True), "table_ids")
    assert _agencies_named(world, "Peel Regional Police") == 0
