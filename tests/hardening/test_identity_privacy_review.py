"""Filter 3 under review: a destroyed key leaves no copy in the key store's files, a refused
identity write at the meeting stays in the audit log, and an administrator's directory work
(a chair it creates) never vouches a user into reading identity (both databases)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from linkage.helpers import close
from sqlalchemy import select
from sqlalchemy.engine import make_url
from support.factories import PASSWORD, in_intervention, open_meeting, submitted

from hardening.conftest import Web, signed_in
from workflow import audit, directory_admin, purge, situations
from workflow.errors import PermissionDenied
from workflow.models import SituationKey, User, utcnow


def _keystore_files(runtime) -> list[Path]:
    database = make_url(runtime.keystore_url).database
    assert database, "the test runtime keeps its keys in a SQLite file"
    return sorted(Path(database).parent.glob(Path(database).name + "*"))


def test_a_purged_key_is_in_no_file_of_the_key_store(world):
    """Before: the key's page stayed in the key store's write-ahead log after the purge, so a
    copy of the data directory (with the master key) still opened the identity."""
    long_ago = utcnow() - timedelta(days=200)
    sid, _mid = in_intervention(world, identity_name="Wal Residue", now=long_ago)
    with world.runtime.keystore() as ks:
        wrapped = bytes(ks.get(SituationKey, sid).wrapped_key)
    close(world, sid, now=long_ago + timedelta(days=1))
    assert [c.situation_id for c in purge.purge(world.runtime).purged] == [sid]
    with world.runtime.read() as s:
        assert purge.verify_purged(s, world.runtime.vault, sid)
    files = _keystore_files(world.runtime)
    assert files
    holding = [f.name for f in files if wrapped in f.read_bytes()]
    assert holding == [], f"the destroyed key is still in {holding}"


def test_a_refused_identity_write_at_the_meeting_is_audited(app, world):
    """Before: the vault wrote `identity.write_refused`, and the page's transaction rolled it
    back with the refusal."""
    sid = submitted(world)
    mid = open_meeting(world)
    with world.runtime.command() as s:
        situations.present(s, world.user(s, "chair"), sid, mid)  # not accepted: no identity
    chair = signed_in(app, "chair")
    response = chair.post(f"/meetings/{mid}/situations/{sid}/identity",
                          {"person-0-name": "Too Early", "person-0-birth_date": "1990-01-01"})
    assert response.status_code == 400
    with world.runtime.read() as s:
        assert not world.runtime.vault.exists(s, sid)
        refused = [(e.action, e.actor_id, e.situation_id) for e in audit.refusals(s)]
    assert refused == [("identity.write_refused", world.users["chair"], sid)]


@pytest.fixture
def admin_made_accounts(world):
    """What an administrator alone can do: leave the granted agency (CMHA) without a confirmed
    member, and create a CMHA user and a chair of the table, knowing both passwords."""
    password = PASSWORD + "!"
    with world.runtime.command() as s:
        admin = world.user(s, "admin")
        directory_admin.update_user(s, admin, world.users["cmha"], active=False)
        user = directory_admin.add_user(s, admin, email="new-cmha@x.test", display_name="New",
                                        password=password, role="agency_rep",
                                        agency_id=world.agencies["cmha"])
        chair = directory_admin.add_user(s, admin, email="new-chair@x.test", display_name="C",
                                         password=password, role="chair",
                                         agency_id=world.agencies["police"],
                                         table_ids=[world.table_id])
        return user.id, chair.id, password


def test_a_chair_an_administrator_created_cannot_vouch_for_identity_access(
        app, world, admin_made_accounts):
    """Before: the new (unconfirmed) chair confirmed the new CMHA user, who then read the
    identity disclosed to CMHA: directory work yielded identity."""
    sid, _mid = in_intervention(world, identity_name="Admin Never Reads")
    user_id, chair_id, password = admin_made_accounts
    with world.runtime.command() as s:
        chair = s.get(User, chair_id)
        assert directory_admin.pending_confirmations(s, chair) == []
        with pytest.raises(PermissionDenied):
            directory_admin.confirm_identity_access(s, chair, user_id)
    web = Web(app.test_client())
    assert web.login("new-cmha@x.test", password).status_code == 302
    response = web.get(f"/situations/{sid}/identity")
    assert response.status_code == 403
    assert "Admin Never Reads" not in response.get_data(as_text=True)
    with world.runtime.command() as s:  # the table's own (confirmed) chair still may
        directory_admin.confirm_identity_access(s, world.user(s, "chair"), user_id)
        assert s.scalar(select(User.identity_confirmed_at).where(User.id == user_id))
