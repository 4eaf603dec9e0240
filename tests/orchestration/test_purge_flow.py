"""purge-identity through Prefect: past retention, no identity row and no key remain."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from support.factories import in_intervention

from workflow import interventions, purge
from workflow.models import AuditEntry, IdentityRecord, Situation, Table, utcnow


def _close(world, sid: int, *, when) -> None:
    with world.runtime.command() as s:
        chair = world.user(s, "chair")
        situation = s.get(Situation, sid)
        for task in situation.tasks:
            interventions.update_task(s, world.user(s, "housing"), task.id, status="done",
                                      now=when)
        interventions.close(s, chair, sid, conclusion_reason="lowered_connected",
                            now=when)


def test_purge_destroys_identity_and_key_past_retention_only(world, flows):
    from orchestration.flows import purge_identity

    old_sid, _ = in_intervention(world, now=utcnow() - timedelta(days=200))
    _close(world, old_sid, when=utcnow() - timedelta(days=120))   # retention 90 days: due
    recent_sid, _ = in_intervention(world, identity_name="Recent Person")
    _close(world, recent_sid, when=utcnow() - timedelta(days=10))  # still kept
    open_sid, _ = in_intervention(world, identity_name="Open Person")
    vault = world.runtime.vault
    with world.runtime.read() as s:
        for sid in (old_sid, recent_sid, open_sid):
            assert vault.exists(s, sid) and vault.has_key(sid)

    assert purge_identity() == [old_sid]

    with world.runtime.read() as s:
        assert purge.verify_purged(s, vault, old_sid)
        assert s.get(IdentityRecord, old_sid) is None
        assert not vault.has_key(old_sid)
        old = s.get(Situation, old_sid)
        assert old.stage == "closed" and old.identity_purged_at is not None
        assert old.risk_factors and old.ref  # the de-identified record stays
        entry = s.scalars(select(AuditEntry).where(AuditEntry.situation_id == old_sid,
                                                   AuditEntry.action == "identity.purge")).one()
        assert entry.detail == {"reason": purge.REASON}
        for kept in (recent_sid, open_sid):
            assert not purge.verify_purged(s, vault, kept)
    assert purge_identity() == []  # nothing left to do: a second run is a no-op


def test_dry_run_lists_and_changes_nothing(world):
    sid, _ = in_intervention(world, now=utcnow() - timedelta(days=200))
    _close(world, sid, when=utcnow() - timedelta(days=100))
    report = purge.purge(world.runtime, dry_run=True)
    assert [c.situation_id for c in report.purged] == [sid] and report.dry_run
    with world.runtime.read() as s:
        assert not purge.verify_purged(s, world.runtime.vault, sid)


def test_a_table_with_longer_retention_keeps_identity_longer(world):
    sid, _ = in_intervention(world, now=utcnow() - timedelta(days=200))
    _close(world, sid, when=utcnow() - timedelta(days=100))
    with world.runtime.command() as s:
        s.get(Table, world.table_id).retention_days = 365
    assert purge.purge(world.runtime).count == 0
    with world.runtime.command() as s:
        s.get(Table, world.table_id).retention_days = 30
    assert purge.purge(world.runtime).count == 1


def test_an_orphan_key_without_ciphertext_is_destroyed_too(world):
    """A crash between storing a key and its ciphertext leaves a key alone: purge finds it."""
    sid, _ = in_intervention(world, now=utcnow() - timedelta(days=200))
    _close(world, sid, when=utcnow() - timedelta(days=100))
    with world.runtime.command() as s:
        s.delete(s.get(IdentityRecord, sid))
    assert world.runtime.vault.has_key(sid)
    assert [c.situation_id for c in purge.purge(world.runtime).purged] == [sid]
    with world.runtime.read() as s:
        assert purge.verify_purged(s, world.runtime.vault, sid)
