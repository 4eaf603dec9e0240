"""Administering the directory never yields identity, and every change is audited and told.

The attack: an administrator creates an account in an agency the table granted disclosure to,
signs in as it and reads identity. Refused until a member of that agency confirms the account;
the agency's contact address hears of the new account (no identity in the mail).
"""

from __future__ import annotations

import pytest
from support.factories import in_intervention

from notifications.dispatch import dispatch_once
from workflow import audit, directory_admin, meetings
from workflow.errors import PermissionDenied
from workflow.models import AuditEntry, Situation, User

CANARY = "Zebediah-Canary-Q9"


def test_an_administrators_new_user_cannot_read_identity_until_the_agency_confirms(
        world, settings, smtp_server):
    sid, _mid = in_intervention(world, identity_name=CANARY)  # cmha is granted
    dispatch_once(world.runtime, settings)
    smtp_server.clear()
    with world.runtime.command() as s:
        admin = world.user(s, "admin")
        mole = directory_admin.add_user(
            s, admin, email="new.worker@cmha.test", display_name="New worker",
            password="a-long-password-1", role="agency_rep", agency_id=world.agencies["cmha"])
        mole_id = mole.id
    with world.runtime.command() as s:  # signed in as the new account: refused, and audited
        mole = s.get(User, mole_id)
        with pytest.raises(PermissionDenied):
            world.runtime.vault.read(s, mole, s.get(Situation, sid))
    with world.runtime.command() as s:  # the administrator cannot confirm, nor can others
        for key in ("admin", "housing", "chair"):
            with pytest.raises(PermissionDenied):
                directory_admin.confirm_identity_access(s, world.user(s, key), mole_id)
        with pytest.raises(PermissionDenied):
            directory_admin.confirm_identity_access(s, s.get(User, mole_id), mole_id)
    with world.runtime.read() as s:
        actions = [(e.action, e.actor_id) for e in s.query(AuditEntry).order_by(AuditEntry.id)]
        assert ("user.create", world.users["admin"]) in actions
        refused = audit.refusals(s, user_id=mole_id)
        assert [e.action for e in refused] == ["identity.read_refused"]

    dispatch_once(world.runtime, settings)
    told = smtp_server.to("cmha@agencies.test")
    assert len(told) == 1
    assert "change to your agency" in told[0].message["Subject"]
    assert CANARY not in told[0].raw.decode("utf-8", "replace")

    with world.runtime.command() as s:  # a confirmed member of cmha vouches for them
        directory_admin.confirm_identity_access(s, world.user(s, "cmha"), mole_id)
    with world.runtime.command() as s:
        person = world.runtime.vault.read(s, s.get(User, mole_id), s.get(Situation, sid))
        assert person is not None and person.persons[0].name == CANARY
    with world.runtime.read() as s:
        confirmed = s.query(AuditEntry).filter_by(action="user.identity_confirmed").one()
        assert confirmed.actor_id == world.users["cmha"]
        assert confirmed.detail["user_id"] == mole_id
        checked, problems = audit.verify(s)
        assert problems == [] and checked > 0


def test_moving_a_user_to_another_agency_takes_identity_access_away(world, settings):
    sid, _mid = in_intervention(world, identity_name=CANARY)
    with world.runtime.command() as s:
        directory_admin.update_user(s, world.user(s, "admin"), world.users["hospital"],
                                    agency_id=world.agencies["cmha"])
    with world.runtime.command() as s, pytest.raises(PermissionDenied):
        world.runtime.vault.read(s, world.user(s, "hospital"), s.get(Situation, sid))
    with world.runtime.read() as s:
        entry = s.query(AuditEntry).filter_by(action="user.update").one()
        assert entry.detail["agency_id"] == world.agencies["cmha"]


def test_an_agency_without_a_confirmed_member_is_confirmed_by_a_chair_of_its_table(world):
    with world.runtime.command() as s:
        admin = world.user(s, "admin")
        agency = directory_admin.add_agency(s, admin, slug="new-shelter", name="New shelter",
                                            sector="housing", contact_email="x@shelter.test",
                                            table_ids=[world.table_id])
        first = directory_admin.add_user(s, admin, email="first@shelter.test",
                                         display_name="First", password="a-long-password-1",
                                         role="agency_rep", agency_id=agency.id)
        first_id = first.id
    with world.runtime.command() as s:
        assert [u.id for u in directory_admin.pending_confirmations(
            s, world.user(s, "chair"))] == [first_id]
        with pytest.raises(PermissionDenied):  # the outsider's agency sits elsewhere
            directory_admin.confirm_identity_access(s, world.user(s, "outsider"), first_id)
        directory_admin.confirm_identity_access(s, world.user(s, "chair"), first_id)
        assert s.get(User, first_id).identity_confirmed_at is not None
    with world.runtime.command() as s:  # the table hears of it in the next meeting's minutes
        chair = world.user(s, "chair")
        meeting = meetings.next_meeting(s, world.table(s))
        assert meetings.minutes(s, chair, meeting.id).confirmations == [("New shelter", "First")]


def test_administrators_cannot_administer_as_someone_else(world):
    with world.runtime.command() as s, pytest.raises(PermissionDenied):
        directory_admin.add_user(s, world.user(s, "chair"), email="x@y.test",
                                 display_name="X", password="a-long-password-1",
                                 role="admin")
