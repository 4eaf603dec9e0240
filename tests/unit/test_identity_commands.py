"""Filter 3's identity (workflow/identity.py): recorded by the chair or a granted agency, read
only by a confirmed user of a granted agency. Happy paths and refusals."""

from __future__ import annotations

import pytest

from workflow import directory_admin
from workflow.errors import IllegalTransition, PermissionDenied, ValidationError
from workflow.identity import Identity, Person

JANE = Identity([Person(name="Jane Example", birth_date="1999-04-01",
                        address="12 Example Street", phone="555 0100")])
JANE_MOVED = Identity([Person(name="Jane Example", birth_date="1999-04-01",
                              address="3 Other Road", phone="555 0100")])


def test_record_identity_by_the_chair_then_corrected_by_a_granted_agency(
        db, cmd, user, steps, core_runtime):
    sit, _ = steps.disclosed()
    with cmd() as s:
        core_runtime.vault.record(s, user("chair"), sit, JANE)
    with cmd() as s:
        core_runtime.vault.record(s, user("housing"), sit, JANE_MOVED)
    assert core_runtime.vault.exists(db, sit.id)
    with cmd() as s:
        assert core_runtime.vault.read(s, user("cmha"), sit).persons[0].address == "3 Other Road"


def test_record_identity_refuses_before_acceptance_ungranted_agencies_and_bad_dates(
        db, cmd, user, steps, core_runtime):
    early = steps.submitted()
    with pytest.raises(IllegalTransition), cmd() as s:
        core_runtime.vault.record(s, user("chair"), early, JANE)
    sit, _ = steps.disclosed()
    with pytest.raises(PermissionDenied), cmd() as s:  # it presented it; it was not granted
        core_runtime.vault.record(s, user("school"), sit, JANE)
    with pytest.raises(ValidationError), cmd() as s:
        core_runtime.vault.record(s, user("chair"), sit, Identity([Person(
            name="Jane Example", birth_date="not a date")]))
    assert not core_runtime.vault.exists(db, early.id)
    assert not core_runtime.vault.exists(db, sit.id)


def test_read_identity_by_a_confirmed_user_of_a_granted_agency(cmd, user, steps, core_runtime):
    sit, _ = steps.disclosed()
    with cmd() as s:
        core_runtime.vault.record(s, user("chair"), sit, JANE)
    with cmd() as s:
        found = core_runtime.vault.read(s, user("housing"), sit)
    assert found is not None and found.persons[0].name == "Jane Example"


def test_read_identity_refuses_the_originator_the_admin_and_the_unconfirmed(
        cmd, user, steps, core_runtime, core_world):
    sit, _ = steps.disclosed()
    with cmd() as s:
        core_runtime.vault.record(s, user("chair"), sit, JANE)
    for who in ("school", "admin", "manager"):
        with pytest.raises(PermissionDenied), cmd() as s:
            core_runtime.vault.read(s, user(who), sit)
    with cmd() as s:  # a new colleague at CMHA, not yet confirmed by CMHA
        newcomer = directory_admin.add_user(
            s, user("admin"), email="new.cmha@demo.hubtable.test", display_name="New",
            password="a-long-enough-password", role="agency_rep",
            agency_id=core_world.agencies["cmha"])
    with pytest.raises(PermissionDenied), cmd() as s:
        core_runtime.vault.read(s, newcomer, sit)
