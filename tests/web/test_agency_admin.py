"""An administrator changes an agency through its page (/admin/agencies/<id>): its tables,
contact address, language and whether it is active. Deactivating signs its users out and keeps
them out (a refusal that reads like a wrong password); bad input is an error beside its field
with nothing saved; and the last active administrator cannot demote or deactivate themselves.
Both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from support.factories import PASSWORD, in_intervention

from web.conftest import Web, signed_in
from web.test_admin_forms import _error_near
from workflow.models import Agency, AuditEntry, TableMembership, User

WRONG = "That email and password do not match an active account."


def _agency(world, slug: str) -> tuple[Agency, list[int]]:
    with world.runtime.read() as s:
        agency = s.get(Agency, world.agencies[slug])
        tables = sorted(s.scalars(select(TableMembership.table_id).where(
            TableMembership.agency_id == agency.id)))
        s.expunge(agency)
        return agency, tables


def _audited(world, action: str) -> int:
    with world.runtime.read() as s:
        return s.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == action)) or 0


def _form(world, **overrides) -> dict:
    return {"contact_email": "housing@agencies.test", "language": "en",
            "table_ids": [str(world.table_id)], "table_ids-shown": "1", "active": "yes",
            **overrides}


def _other_table(world) -> int:
    from workflow.models import Table

    with world.runtime.read() as s:
        return s.scalar(select(Table.id).where(Table.code == "OTHER"))


def test_each_agency_is_linked_from_the_list_to_a_page_with_its_settings(app, world):
    admin = signed_in(app, "admin")
    housing = world.agencies["housing"]
    listing = admin.get("/admin/agencies").get_data(as_text=True)
    assert f'href="/admin/agencies/{housing}"' in listing
    page = admin.get(f"/admin/agencies/{housing}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'value="housing@agencies.test"' in html
    for control in ("contact_email", "language", "table_ids", "active"):
        assert f'id="{control}"' in html
    assert '<label for="contact_email">' in html and '<label for="language">' in html
    assert "open situation" not in html  # no open work: no sentence, no tick to ask for


def test_unknown_agency_is_404_and_other_roles_403(app, world):
    assert signed_in(app, "admin").get("/admin/agencies/999999").status_code == 404
    assert signed_in(app, "admin").post("/admin/agencies/999999", {"active": "yes"}
                                        ).status_code == 404
    chair = signed_in(app, "chair")
    assert chair.get(f"/admin/agencies/{world.agencies['housing']}").status_code == 403
    refused = chair.post(f"/admin/agencies/{world.agencies['housing']}", _form(world,
                                                                            active="no"))
    assert refused.status_code == 403
    assert _agency(world, "housing")[0].active


def test_the_administrator_changes_tables_contact_and_language(app, world):
    other = _other_table(world)
    response = signed_in(app, "admin").post(
        f"/admin/agencies/{world.agencies['housing']}",
        _form(world, contact_email="intake@housing.test", language="vi",
              table_ids=[str(world.table_id), str(other)]))
    assert response.status_code == 302
    agency, tables = _agency(world, "housing")
    assert (agency.contact_email, agency.language, agency.active) == (
        "intake@housing.test", "vi", True)
    assert tables == sorted([world.table_id, other])
    assert _audited(world, "agency.update") == 1 and _audited(world, "membership.update") == 1


@pytest.mark.parametrize(("field", "value", "words"), [
    ("contact_email", "not an address", "address"),
    ("language", "fr", "en or vi"),
    ("table_ids", ["999999"], "999999"),
    ("table_ids", ["first"], "list"),
    ("active", "maybe", "active"),
])
def test_bad_input_is_an_error_beside_its_field_and_nothing_is_saved(
        app, world, field, value, words):
    before = _agency(world, "housing")
    form = _form(world, language="vi", table_ids=[], active="no")
    form[field] = value
    response = signed_in(app, "admin").post(f"/admin/agencies/{world.agencies['housing']}",
                                            form)
    assert response.status_code == 400
    assert words in _error_near(response.get_data(as_text=True), field)
    after = _agency(world, "housing")
    assert (after[0].language, after[0].active, after[1]) == (
        before[0].language, before[0].active, before[1])
    assert _audited(world, "agency.update") == _audited(world, "membership.update") == 0


def test_deactivating_signs_its_users_out_and_refuses_sign_in_like_a_wrong_password(
        app, world):
    housing = world.agencies["housing"]
    rep = signed_in(app, "housing")
    assert rep.get("/agency").status_code == 200
    admin = signed_in(app, "admin")
    done = admin.post(f"/admin/agencies/{housing}", _form(world, active="no"))
    assert done.status_code == 302
    assert rep.get("/agency").status_code == 302  # its session ended
    refused = Web(app.test_client()).login("housing@demo.hubtable.test", PASSWORD)
    wrong = Web(app.test_client()).login("housing@demo.hubtable.test", "not-the-password")
    assert refused.status_code == wrong.status_code == 400
    assert WRONG in refused.get_data(as_text=True) and WRONG in wrong.get_data(as_text=True)
    assert signed_in(app, "cmha").get("/agency").status_code == 200  # others go on
    with world.runtime.read() as s:
        assert s.get(User, world.users["housing"]).active  # the user is not changed itself
    assert admin.post(f"/admin/agencies/{housing}", _form(world)).status_code == 302
    assert rep.get("/agency").status_code == 302  # reactivating restores no old session
    assert signed_in(app, "housing").get("/agency").status_code == 200


def test_an_agency_with_open_work_is_deactivated_only_once_the_administrator_understands(
        app, world):
    in_intervention(world)  # CMHA leads, housing assists
    cmha = world.agencies["cmha"]
    admin = signed_in(app, "admin")
    page = admin.get(f"/admin/agencies/{cmha}").get_data(as_text=True)
    assert "This agency leads or assists 1 open situation." in page
    form = _form(world, contact_email="cmha@agencies.test", active="no")
    refused = admin.post(f"/admin/agencies/{cmha}", form)
    assert refused.status_code == 400
    assert "1 open situations" in _error_near(refused.get_data(as_text=True),
                                              "open_work_understood")
    assert _agency(world, "cmha")[0].active
    done = admin.post(f"/admin/agencies/{cmha}", {**form, "open_work_understood": "yes",
                                                  "open_work_understood-shown": "1"})
    assert done.status_code == 302
    assert not _agency(world, "cmha")[0].active


def test_the_last_active_administrator_cannot_demote_or_deactivate_themselves(app, world):
    admin = signed_in(app, "admin")
    me = world.users["admin"]
    demoted = admin.post(f"/admin/users/{me}", {
        "role": "agency_rep", "agency_id": str(world.agencies["police"]), "active": "yes",
        "table_ids-shown": "1"})
    assert demoted.status_code == 400
    assert "last active administrator" in _error_near(demoted.get_data(as_text=True), "role")
    gone = admin.post(f"/admin/users/{me}", {"role": "admin", "agency_id": "", "active": "no",
                                             "table_ids-shown": "1"})
    assert gone.status_code == 400
    assert "last active administrator" in _error_near(gone.get_data(as_text=True), "active")
    with world.runtime.read() as s:
        user = s.get(User, me)
        assert (user.role, user.active) == ("admin", True)
    assert _audited(world, "user.update") == 0
    assert admin.get("/admin").status_code == 200  # still signed in, still administering


def test_a_signed_in_user_moved_into_an_inactive_agency_is_signed_out(app, world):
    """The check at every request, not only at sign-in: a cookie of a user whose agency is
    inactive stops working, however the user came to be there."""
    admin = signed_in(app, "admin")
    assert admin.post(f"/admin/agencies/{world.agencies['housing']}",
                      _form(world, active="no")).status_code == 302
    hospital = signed_in(app, "hospital")
    assert hospital.get("/agency").status_code == 200
    moved = admin.post(f"/admin/users/{world.users['hospital']}", {
        "role": "agency_rep", "agency_id": str(world.agencies["housing"]), "active": "yes",
        "table_ids-shown": "1"})
    assert moved.status_code == 302
    assert hospital.get("/agency").status_code == 302


def test_one_save_of_settings_and_tables_sends_the_agency_one_notice(app, world):
    from workflow.models import OutboxEvent

    with world.runtime.read() as s:
        before = s.scalar(select(func.count(OutboxEvent.id)).where(
            OutboxEvent.event_type == "directory.changed")) or 0
    response = signed_in(app, "admin").post(
        f"/admin/agencies/{world.agencies['housing']}",
        _form(world, language="vi", table_ids=[str(world.table_id), str(_other_table(world))]))
    assert response.status_code == 302
    with world.runtime.read() as s:
        told = s.scalars(select(OutboxEvent).where(
            OutboxEvent.event_type == "directory.changed").order_by(OutboxEvent.id)).all()
    assert len(told) == before + 1
    assert told[-1].agency_ids == [world.agencies["housing"]]
