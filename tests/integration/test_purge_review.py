"""Retention and purge review: what goes, what is audited, and two purgers at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from linkage.helpers import checked
from sqlalchemy import select
from support.factories import accepted_with_identity, open_meeting

from workflow import audit, purge, situations
from workflow.models import AuditEntry, IdentityRecord, LinkageToken, Situation, utcnow
from workflow.runtime import Runtime


def _tokens(world, sid: int) -> int:
    with world.runtime.read() as s:
        return len(list(s.scalars(select(LinkageToken.id)
                                  .where(LinkageToken.situation_id == sid))))


def _entries(world, sid: int, action: str) -> list[AuditEntry]:
    with world.runtime.read() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.situation_id == sid,
                                                       AuditEntry.action == action)))


def _rejected_with_tokens(world) -> int:
    """Rejected 200 days ago; its agency typed a name at filter 1 (tokens, no identity)."""
    long_ago = utcnow() - timedelta(days=200)
    sid = checked(world, "Trần Văn Nam", "1985-06-07", now=long_ago)
    mid = open_meeting(world, now=long_ago)
    with world.runtime.command() as s:
        situations.reject(s, world.user(s, "chair"), sid, mid, "not_aer", now=long_ago)
    return sid


def test_tokens_purged_alone_leave_one_audit_entry(world):
    """Before: a rejected situation's tokens were deleted with no audit entry at all."""
    sid = _rejected_with_tokens(world)
    assert _tokens(world, sid)
    assert [c.situation_id for c in purge.purge(world.runtime).purged] == [sid]
    assert _tokens(world, sid) == 0
    (entry,) = _entries(world, sid, "linkage.purge")
    assert entry.detail == {"reason": purge.REASON, "tokens": 1} and entry.actor_id is None
    assert purge.purge(world.runtime).count == 0  # a rerun: nothing, and no second entry
    assert len(_entries(world, sid, "linkage.purge")) == 1
    with world.runtime.read() as s:
        assert s.get(Situation, sid).identity_purged_at is None  # it never had identity
        assert audit.verify(s)[1] == []


def test_withdrawal_destroying_identity_takes_its_tokens_with_it(world):
    """Before: the identity went at once, its tokens stayed for the retention period."""
    sid = accepted_with_identity(world, birth_date="1990-03-04")
    assert _tokens(world, sid)
    with world.runtime.command() as s:
        situations.withdraw(s, world.user(s, "chair"), sid, "duplicate", world.runtime.vault)
    assert _tokens(world, sid) == 0
    with world.runtime.read() as s:
        assert purge.verify_purged(s, world.runtime.vault, sid)
    assert len(_entries(world, sid, "identity.purge")) == 1


def test_a_second_purger_of_the_same_situation_purges_and_counts_nothing(world, tmp_path):
    """Two purgers (the daily flow and `hubtable purge`) on one situation: the first purges
    it, the second waits and reports nothing. Before (SQLite): the second counted the tokens
    before the first committed, deleted none, and still reported the situation purged."""
    sid = _rejected_with_tokens(world)
    second = Runtime(database_url=world.runtime.database_url,
                     keystore_url=world.runtime.keystore_url,
                     identity_key=world.runtime.identity_key)
    results: dict[str, bool] = {}
    first = world.runtime.sessions()
    try:
        assert purge.purge_one(first, world.runtime.vault, sid, now=utcnow())

        def other() -> None:
            with second.command() as s:
                results["second"] = purge.purge_one(s, second.vault, sid, now=utcnow())

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(0.5)  # it waits for the first (SQLite) or skips the locked row (PostgreSQL)
        first.commit()
        thread.join(30)
        assert not thread.is_alive()
    finally:
        first.close()
        second.dispose()
    assert results == {"second": False}
    assert len(_entries(world, sid, "linkage.purge")) == 1


def test_a_purge_killed_after_the_key_is_finished_by_the_next_run(world, monkeypatch):
    """Killed between destroying the key and committing: the ciphertext (unreadable) stays,
    nothing is audited; the next run deletes it and audits it once."""
    from support.factories import in_intervention

    from workflow import interventions

    sid, _ = in_intervention(world, now=utcnow() - timedelta(days=200))
    with world.runtime.command() as s:
        for task in s.get(Situation, sid).tasks:
            interventions.update_task(s, world.user(s, "housing"), task.id, status="done")
        interventions.close(s, world.user(s, "chair"), sid, conclusion_reason="lowered_other",
                            now=utcnow() - timedelta(days=100))
    vault = world.runtime.vault
    real_destroy = vault.destroy_key

    def destroy_then_die(situation_id: int) -> bool:
        real_destroy(situation_id)
        raise KeyboardInterrupt  # stands for SIGKILL: the application transaction is lost

    monkeypatch.setattr(vault, "destroy_key", destroy_then_die)
    with pytest.raises(KeyboardInterrupt):
        purge.purge(world.runtime)
    monkeypatch.undo()
    with world.runtime.read() as s:
        assert not vault.has_key(sid) and s.get(IdentityRecord, sid) is not None
    assert _entries(world, sid, "identity.purge") == []
    assert [c.situation_id for c in purge.purge(world.runtime).purged] == [sid]
    with world.runtime.read() as s:
        assert purge.verify_purged(s, vault, sid)
        assert audit.verify(s)[1] == []
    assert len(_entries(world, sid, "identity.purge")) == 1
