"""Filter 3 as a specification: only granted agencies read identity, and every read is audited."""

import pytest
from sqlalchemy import func, select, text
from support.factories import filter1, in_intervention, open_meeting, submitted

from workflow import audit, interventions, meetings, situations
from workflow.errors import NotFound, PermissionDenied
from workflow.models import AuditEntry, IdentityRecord, Situation

MARKER = "Zyxwv Canary-7731"


def _audit_count(s, sid, action):
    return s.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.situation_id == sid, AuditEntry.action == action))


def test_granted_agency_reads_identity_and_each_read_is_audited(world):
    sid, _ = in_intervention(world, identity_name=MARKER)
    vault = world.runtime.vault
    for _ in range(2):
        with world.runtime.read() as s:
            identity = vault.read(s, world.user(s, "cmha"), s.get(Situation, sid))
            assert identity.persons[0].name == MARKER
    with world.runtime.read() as s:
        assert _audit_count(s, sid, "identity.read") == 2
        reader_ids = set(s.scalars(select(AuditEntry.actor_id).where(
            AuditEntry.situation_id == sid, AuditEntry.action == "identity.read")))
        assert reader_ids == {world.users["cmha"]}


@pytest.mark.parametrize("who", ["police", "hospital", "outsider", "manager", "admin"])
def test_identity_refused_to_everyone_not_granted(world, who):
    """Police and hospital sit at the table but were not named; managers and admins never."""
    sid, _ = in_intervention(world, identity_name=MARKER)
    with pytest.raises(PermissionDenied), world.runtime.read() as s:
        world.runtime.vault.read(s, world.user(s, who), s.get(Situation, sid))
    with world.runtime.read() as s:
        assert _audit_count(s, sid, "identity.read") == 0


def test_chair_without_a_grant_cannot_read_identity(world):
    sid, _ = in_intervention(world, identity_name=MARKER)  # chair belongs to police: not granted
    with pytest.raises(PermissionDenied), world.runtime.read() as s:
        world.runtime.vault.read(s, world.user(s, "chair"), s.get(Situation, sid))


def test_identity_is_ciphertext_bound_to_its_situation(world):
    sid, _ = in_intervention(world, identity_name=MARKER)
    with world.runtime.read() as s:
        row = s.get(IdentityRecord, sid)
        assert MARKER.encode() not in row.ciphertext
        assert b"Example Street" not in row.ciphertext


def test_identity_not_in_database_bytes(world, database_url, tmp_path):
    sid, _ = in_intervention(world, identity_name=MARKER)
    if database_url.startswith("sqlite"):
        world.runtime.dispose()
        files = list(tmp_path.glob("*.db*"))
        assert files
        for f in files:
            assert MARKER.encode() not in f.read_bytes(), f
    else:
        with world.runtime.engine.connect() as conn:
            for table in ("situations", "identity_records", "audit_entries", "outbox_events",
                          "transitions", "rule_firings"):
                dump = conn.execute(text(f"SELECT CAST(t AS text) FROM {table} t")).scalars()
                assert not any(MARKER in row for row in dump), table


def test_destroying_the_key_makes_the_ciphertext_unreadable(world):
    sid, _ = in_intervention(world, identity_name=MARKER)
    world.runtime.vault.destroy_key(sid)
    with world.runtime.read() as s:
        assert s.get(IdentityRecord, sid) is not None  # a backup would still hold this row
        assert world.runtime.vault.read(s, world.user(s, "cmha"), s.get(Situation, sid)) is None


def test_purge_removes_key_and_ciphertext_and_keeps_the_record(world):
    sid, _ = in_intervention(world, identity_name=MARKER)
    with world.runtime.command() as s:
        assert world.runtime.vault.purge(s, s.get(Situation, sid), reason="retention")
    with world.runtime.read() as s:
        assert s.get(IdentityRecord, sid) is None
        assert s.get(Situation, sid).stage == "intervention"
        assert _audit_count(s, sid, "identity.purge") == 1
    assert not world.runtime.vault.has_key(sid)


def test_situations_are_invisible_to_uninvolved_agencies(world):
    sid = submitted(world)  # originated by the school
    for who in ("police", "outsider", "manager", "admin"):
        with pytest.raises(NotFound), world.runtime.read() as s:
            situations.update_draft(s, world.user(s, who), sid, filter1())
    with world.runtime.read() as s:
        from workflow import access

        assert access.can_view_situation(s, world.user(s, "school"), s.get(Situation, sid))
        assert access.can_view_situation(s, world.user(s, "chair"), s.get(Situation, sid))


@pytest.mark.parametrize("who", ["school", "cmha", "manager", "admin"])
def test_only_the_chair_runs_the_meeting(world, who):
    sid = submitted(world)
    mid = open_meeting(world)
    with pytest.raises((PermissionDenied, NotFound)), world.runtime.command() as s:
        situations.accept(s, world.user(s, who), sid, mid)
    with pytest.raises(PermissionDenied), world.runtime.command() as s:
        meetings.record_attendance(s, world.user(s, who), mid, world.agencies["police"],
                                   present=True, confidentiality_ack=True)


@pytest.mark.parametrize("who", ["manager", "admin", "outsider"])
def test_managers_admins_and_other_tables_cannot_draft_here(world, who):
    with pytest.raises(PermissionDenied), world.runtime.command() as s:
        situations.draft(s, world.user(s, who), world.table_id, filter1())


def test_only_lead_and_assisting_record_first_contact(world):
    sid, _ = in_intervention(world)
    with pytest.raises(PermissionDenied), world.runtime.command() as s:
        interventions.record_first_contact(s, world.user(s, "school"), sid)  # granted, not lead


def test_disclosure_only_to_agencies_of_the_table(world):
    sid = submitted(world)
    mid = open_meeting(world)
    with world.runtime.command() as s:
        situations.accept(s, world.user(s, "chair"), sid, mid)
    from workflow.errors import ValidationError

    with pytest.raises(ValidationError) as err, world.runtime.command() as s:
        interventions.disclose(s, world.user(s, "chair"), sid, [world.agencies["outsider"]],
                               basis="phipa_40_1")
    assert err.value.field == "agency_ids"


def test_audit_chain_detects_an_edit_a_deletion_and_an_insertion(world):
    sid, _ = in_intervention(world)
    with world.runtime.read() as s:
        checked, problems = audit.verify(s)
        assert checked > 5 and problems == []
    with world.runtime.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET action = 'situation.nothing' "
                          "WHERE id = (SELECT min(id) FROM audit_entries)"))
    with world.runtime.read() as s:
        assert any("altered" in p.message for p in audit.verify(s)[1])
    with world.runtime.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entries WHERE id = (SELECT max(id) FROM "
                          "audit_entries WHERE situation_id = :sid)"), {"sid": sid})
    with world.runtime.read() as s:
        messages = [p.message for p in audit.verify(s)[1]]
        assert any("removed" in m for m in messages)
