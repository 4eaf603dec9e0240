"""The administrator's commands (workflow/directory_admin.py, administration.py) and everyone's
notification choices (notification_preferences.py): happy paths and refusals. Administering
the directory never yields identity: a new or moved user is confirmed by their own agency."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from workflow import administration, directory_admin, notification_preferences
from workflow.errors import NotFound, PackRefused, PermissionDenied, ValidationError
from workflow.models import AuditEntry, NotificationPreference, OutboxEvent, TableMembership

PACKS = Path(__file__).resolve().parents[2] / "rules" / "packs"
LONG_PASSWORD = "a-long-enough-password"


def _audited(db, action: str) -> int:
    return len(db.scalars(select(AuditEntry.id).where(AuditEntry.action == action)).all())


def _new_colleague(cmd, user, agency_id: int, email: str = "new.rep@demo.hubtable.test"):
    with cmd() as s:
        return directory_admin.add_user(s, user("admin"), email=email, display_name="New rep",
                                        password=LONG_PASSWORD, role="agency_rep",
                                        agency_id=agency_id)


# -- users --------------------------------------------------------------------------------------
def test_create_user_unconfirmed_audited_and_told_to_the_agency(db, cmd, user, steps):
    new = _new_colleague(cmd, user, steps.agency("cmha"))
    assert new.id is not None and new.identity_confirmed_at is None
    assert _audited(db, "user.create") == 1
    told = db.scalars(select(OutboxEvent).where(OutboxEvent.event_type == "directory.changed"))
    assert [e.agency_ids for e in told] == [[steps.agency("cmha")]]


def test_create_user_refuses_non_admins_taken_emails_and_short_passwords(cmd, user, steps):
    with pytest.raises(PermissionDenied), cmd() as s:
        directory_admin.add_user(s, user("chair"), email="x@demo.hubtable.test",
                                 display_name="X", password=LONG_PASSWORD, role="agency_rep",
                                 agency_id=steps.agency("cmha"))
    with pytest.raises(ValidationError), cmd() as s:
        directory_admin.add_user(s, user("admin"), email="cmha@demo.hubtable.test",
                                 display_name="X", password=LONG_PASSWORD, role="agency_rep",
                                 agency_id=steps.agency("cmha"))
    with pytest.raises(ValidationError), cmd() as s:
        directory_admin.add_user(s, user("admin"), email="y@demo.hubtable.test",
                                 display_name="Y", password="short", role="agency_rep",
                                 agency_id=steps.agency("cmha"))


def test_update_user_moving_agency_takes_the_confirmation_away(db, cmd, user, steps):
    rep = user("housing")
    assert rep.identity_confirmed_at is not None
    with cmd() as s:
        directory_admin.update_user(s, user("admin"), rep.id, agency_id=steps.agency("cmha"))
    assert rep.agency_id == steps.agency("cmha")
    assert rep.identity_confirmed_at is None
    assert _audited(db, "user.update") == 1


def test_update_user_refuses_non_admins_unknown_users_and_agencies(cmd, user, steps):
    with pytest.raises(PermissionDenied), cmd() as s:
        directory_admin.update_user(s, user("chair"), user("housing").id, active=False)
    with pytest.raises(NotFound), cmd() as s:
        directory_admin.update_user(s, user("admin"), 999_999, active=False)
    with pytest.raises(ValidationError), cmd() as s:
        directory_admin.update_user(s, user("admin"), user("housing").id, agency_id=999_999)
    assert user("housing").active


def test_confirm_identity_access_by_a_confirmed_colleague(db, cmd, user, steps):
    new = _new_colleague(cmd, user, steps.agency("cmha"))
    with cmd() as s:
        directory_admin.confirm_identity_access(s, user("cmha"), new.id)
    assert new.identity_confirmed_at is not None
    assert new.identity_confirmed_by_id == user("cmha").id
    assert _audited(db, "user.identity_confirmed") == 1


def test_confirm_identity_access_refuses_admins_themselves_and_other_agencies(cmd, user, steps):
    new = _new_colleague(cmd, user, steps.agency("cmha"))
    with pytest.raises(PermissionDenied), cmd() as s:  # administering never yields identity
        directory_admin.confirm_identity_access(s, user("admin"), new.id)
    with pytest.raises(PermissionDenied), cmd() as s:
        directory_admin.confirm_identity_access(s, user("housing"), new.id)
    with pytest.raises(PermissionDenied), cmd() as s:
        directory_admin.confirm_identity_access(s, new, new.id)
    with pytest.raises(NotFound), cmd() as s:
        directory_admin.confirm_identity_access(s, user("cmha"), 999_999)
    assert new.identity_confirmed_at is None


# -- agencies and tables ------------------------------------------------------------------------
def test_create_agency_at_a_table(db, cmd, user, core_world):
    with cmd() as s:
        agency = directory_admin.add_agency(s, user("admin"), slug="food-bank", name="Food Bank",
                                            sector="community", table_ids=[core_world.table_id])
    assert [m.table_id for m in agency.memberships] == [core_world.table_id]
    assert _audited(db, "agency.create") == 1


def test_create_agency_refuses_non_admins_unknown_sectors_and_taken_slugs(cmd, user):
    with pytest.raises(PermissionDenied), cmd() as s:
        directory_admin.add_agency(s, user("chair"), slug="food-bank", name="Food Bank",
                                   sector="community")
    with pytest.raises(ValidationError), cmd() as s:
        directory_admin.add_agency(s, user("admin"), slug="food-bank", name="Food Bank",
                                   sector="astrology")
    with pytest.raises(ValidationError), cmd() as s:
        directory_admin.add_agency(s, user("admin"), slug="cmha", name="Again",
                                   sector="community")


def test_update_membership_moves_an_agency_between_tables(db, cmd, user, steps, core_world):
    with cmd() as s:
        other = directory_admin.add_table(s, user("admin"), code="SECOND", name="Second",
                                          country="CA", subdivision="ON")
    with cmd() as s:
        directory_admin.set_memberships(s, user("admin"), steps.agency("housing"),
                                        [core_world.table_id, other.id])
    tables = db.scalars(select(TableMembership.table_id).where(
        TableMembership.agency_id == steps.agency("housing"))).all()
    assert sorted(tables) == sorted([core_world.table_id, other.id])
    assert _audited(db, "membership.update") == 1


def test_update_membership_refuses_non_admins_unknown_agencies_and_tables(cmd, user, steps):
    with pytest.raises(PermissionDenied), cmd() as s:
        directory_admin.set_memberships(s, user("chair"), steps.agency("housing"), [])
    with pytest.raises(NotFound), cmd() as s:
        directory_admin.set_memberships(s, user("admin"), 999_999, [])
    with pytest.raises(ValidationError), cmd() as s:
        directory_admin.set_memberships(s, user("admin"), steps.agency("housing"), [999_999])


def test_create_table_with_its_holidays(db, cmd, user):
    with cmd() as s:
        table = directory_admin.add_table(s, user("admin"), code="CANTHO2", name="Cần Thơ 2",
                                          country="VN", language="vi",
                                          timezone="Asia/Ho_Chi_Minh",
                                          rule_pack_name="vn-gbv-child-protection")
    assert table.id is not None and table.rule_pack_version
    assert _audited(db, "table.create") == 1


def test_create_table_refuses_non_admins_bad_codes_and_unknown_countries(cmd, user):
    with pytest.raises(PermissionDenied), cmd() as s:
        directory_admin.add_table(s, user("chair"), code="NEW", name="New", country="CA")
    with pytest.raises(ValidationError), cmd() as s:
        directory_admin.add_table(s, user("admin"), code="new table", name="New", country="CA")
    with pytest.raises(ValidationError), cmd() as s:
        directory_admin.add_table(s, user("admin"), code="PEEL", name="Taken", country="CA")
    with pytest.raises(ValidationError), cmd() as s:
        directory_admin.add_table(s, user("admin"), code="NEW", name="New", country="XX")


def test_update_table_sets_the_weekly_sitting(cmd, user, core_world):
    with cmd() as s:
        table = administration.update_schedule(s, user("admin"), core_world.table_id,
                                               weekday=3, time="14:30", place=" Room 2 ",
                                               timezone="America/Toronto")
    assert (table.meeting_weekday, table.meeting_time, table.meeting_place) == (3, "14:30",
                                                                                 "Room 2")


def test_update_table_refuses_non_admins_bad_times_and_unknown_tables(cmd, user, core_world):
    with pytest.raises(PermissionDenied), cmd() as s:
        administration.update_schedule(s, user("chair"), core_world.table_id, weekday=3,
                                       time="14:30", place="")
    with pytest.raises(ValidationError), cmd() as s:
        administration.update_schedule(s, user("admin"), core_world.table_id, weekday=3,
                                       time="25:00", place="")
    with pytest.raises(ValidationError), cmd() as s:
        administration.update_schedule(s, user("admin"), core_world.table_id, weekday=9,
                                       time="10:00", place="")
    with pytest.raises(NotFound), cmd() as s:
        administration.update_schedule(s, user("admin"), 999_999, weekday=3, time="10:00",
                                       place="")


# -- rule packs ---------------------------------------------------------------------------------
def _pack(version: str) -> str:
    source = (PACKS / "ontario.yaml").read_text(encoding="utf-8")
    return source.replace('version: "1.1"', f'version: "{version}"', 1)


def test_install_rule_pack_then_select_it(db, cmd, user, core_world):
    with cmd() as s:
        row = administration.install_rule_pack(s, user("admin"), _pack("9.1-unit"))
    assert (row.name, row.version) == ("ontario-four-filter", "9.1-unit")
    with cmd() as s:
        table = administration.select_rule_pack(s, user("admin"), core_world.table_id,
                                                "ontario-four-filter", "9.1-unit")
    assert table.rule_pack_version == "9.1-unit"
    assert _audited(db, "rules.install") == 1 and _audited(db, "table.rule_pack") == 1


def test_install_rule_pack_refuses_non_admins_broken_packs_and_changed_content(cmd, user):
    with pytest.raises(PermissionDenied), cmd() as s:
        administration.install_rule_pack(s, user("chair"), _pack("9.2-unit"))
    with pytest.raises(PackRefused), cmd() as s:
        administration.install_rule_pack(s, user("admin"), "name: broken\nrules: [1, 2\n")
    with cmd() as s:
        administration.install_rule_pack(s, user("admin"), _pack("9.3-unit"))
    changed = _pack("9.3-unit").replace("quorum_sectors: 3", "quorum_sectors: 2", 1)
    with pytest.raises(ValidationError, match="new version"), cmd() as s:
        administration.install_rule_pack(s, user("admin"), changed)


def test_select_rule_pack_makes_a_shipped_pack_active(db, cmd, user, core_world):
    with cmd() as s:
        table = administration.select_rule_pack(s, user("admin"), core_world.table_id,
                                                "vn-gbv-child-protection", "1.2")
    assert (table.rule_pack_name, table.rule_pack_version) == ("vn-gbv-child-protection", "1.2")
    assert _audited(db, "table.rule_pack") == 1


def test_select_rule_pack_refuses_non_admins_and_versions_never_installed(cmd, user, core_world):
    with pytest.raises(PermissionDenied), cmd() as s:
        administration.select_rule_pack(s, user("chair"), core_world.table_id,
                                        "ontario-four-filter", "1.1")
    with pytest.raises(ValidationError), cmd() as s:
        administration.select_rule_pack(s, user("admin"), core_world.table_id,
                                        "ontario-four-filter", "7.7")


# -- notification choices -----------------------------------------------------------------------
def test_set_notification_preference_by_the_agency_and_for_oneself(db, cmd, user, steps):
    with cmd() as s:
        notification_preferences.set_preference(
            s, user("cmha"), channel="email", enabled=True, cadence="daily_digest",
            agency_id=steps.agency("cmha"))
    with cmd() as s:
        notification_preferences.set_preference(
            s, user("housing"), channel="inbox", enabled=False, user_id=user("housing").id)
    stored = db.scalars(select(NotificationPreference).order_by(NotificationPreference.id)).all()
    assert [(p.channel, p.enabled, p.cadence) for p in stored] == [
        ("email", True, "daily_digest"), ("inbox", False, "immediate")]
    assert _audited(db, "notifications.preference") == 2


def test_set_notification_preference_refuses_other_agencies_and_impossible_choices(
        cmd, user, steps):
    with pytest.raises(PermissionDenied), cmd() as s:
        notification_preferences.set_preference(
            s, user("housing"), channel="email", enabled=False, agency_id=steps.agency("cmha"))
    with pytest.raises(ValidationError), cmd() as s:
        notification_preferences.set_preference(
            s, user("cmha"), channel="inbox", enabled=True, cadence="daily_digest",
            user_id=user("cmha").id)
    with pytest.raises(ValidationError), cmd() as s:
        notification_preferences.set_preference(
            s, user("cmha"), channel="webhook", enabled=True, agency_id=steps.agency("cmha"))
    with pytest.raises(ValidationError), cmd() as s:
        notification_preferences.set_preference(
            s, user("cmha"), channel="email", enabled=True, agency_id=steps.agency("cmha"),
            user_id=user("cmha").id)
