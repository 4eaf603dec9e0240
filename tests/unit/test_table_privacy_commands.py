"""A table's privacy settings after its creation (workflow/administration.update_privacy):
the retention period and the small-cell threshold change within the bounds a new table gets,
a shorter period never destroys identities unless the administrator confirmed how many, and
the change is audited (old and new values) and told to the table's chairs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from workflow import administration, directory, directory_admin
from workflow.errors import NotFound, PermissionDenied, ValidationError
from workflow.models import (
    AuditEntry,
    IdentityRecord,
    OutboxEvent,
    Situation,
    Table,
    utcnow,
)


def _privacy_entries(db) -> list[dict]:
    return [e.detail for e in db.scalars(select(AuditEntry).where(
        AuditEntry.action == "table.privacy").order_by(AuditEntry.id))]


def _ended_with_identity(db, steps, days_ago: int) -> int:
    """A situation closed `days_ago` that still holds an identity record (ciphertext only:
    counting never opens it)."""
    sid = steps.draft().id
    db.execute(update(Situation).where(Situation.id == sid).values(
        stage="closed", conclusion_reason="transferred",
        closed_at=utcnow() - timedelta(days=days_ago)))
    db.add(IdentityRecord(situation_id=sid, ciphertext=b"x", nonce=b"n" * 12))
    db.commit()
    return sid


def test_update_table_privacy_lengthens_retention_and_raises_the_threshold(db, cmd, user,
                                                                           core_world):
    with cmd() as s:
        table = administration.update_privacy(s, user("admin"), core_world.table_id,
                                              retention_days=180, small_cell_threshold=10)
    assert (table.retention_days, table.small_cell_threshold) == (180, 10)
    [entry] = _privacy_entries(db)
    assert entry == {"table_id": core_world.table_id, "retention_days": 180,
                     "retention_days_before": 90, "small_cell_threshold": 10,
                     "small_cell_threshold_before": 5, "identities_due": 0}
    told = db.scalars(select(OutboxEvent).where(OutboxEvent.event_type == "directory.changed",
                                                OutboxEvent.table_id == core_world.table_id)
                      ).all()
    assert [(e.to_chairs, e.payload["change"]) for e in told] == [(True, "table.privacy")]


def test_update_table_privacy_unchanged_is_neither_audited_nor_told(db, cmd, user, core_world):
    with cmd() as s:
        administration.update_privacy(s, user("admin"), core_world.table_id,
                                      retention_days=90, small_cell_threshold=5)
    assert _privacy_entries(db) == []
    assert db.scalars(select(OutboxEvent.id).where(
        OutboxEvent.event_type == "directory.changed")).all() == []


def test_update_table_privacy_refuses_non_admins_unknown_tables_and_out_of_bounds(
        cmd, user, core_world):
    tid = core_world.table_id
    with pytest.raises(PermissionDenied), cmd() as s:
        administration.update_privacy(s, user("chair"), tid, retention_days=30,
                                      small_cell_threshold=5)
    with pytest.raises(PermissionDenied), cmd() as s:
        administration.update_privacy(s, user("manager"), tid, retention_days=30,
                                      small_cell_threshold=5)
    with pytest.raises(NotFound), cmd() as s:
        administration.update_privacy(s, user("admin"), 999_999, retention_days=30,
                                      small_cell_threshold=5)
    for days in (-1, directory.MAX_RETENTION_DAYS + 1):
        with pytest.raises(ValidationError) as refused, cmd() as s:
            administration.update_privacy(s, user("admin"), tid, retention_days=days,
                                          small_cell_threshold=5)
        assert refused.value.field == "retention_days"
    for value in (directory.MIN_SMALL_CELL_THRESHOLD - 1, 1, 0,
                  directory.MAX_SMALL_CELL_THRESHOLD + 1):
        with pytest.raises(ValidationError) as refused, cmd() as s:
            administration.update_privacy(s, user("admin"), tid, retention_days=90,
                                          small_cell_threshold=value)
        assert refused.value.field == "small_cell_threshold"


def test_update_table_privacy_refuses_a_shorter_period_until_the_count_is_confirmed(
        db, cmd, user, steps, core_world):
    tid = core_world.table_id
    _ended_with_identity(db, steps, days_ago=40)
    _ended_with_identity(db, steps, days_ago=100)  # due already: not this change's doing
    with cmd() as s:
        assert administration.identities_due_sooner(s, user("admin"), s.get(Table, tid),
                                                    30) == 1
        assert administration.identities_due_sooner(s, user("admin"), s.get(Table, tid),
                                                    60) == 0
    with pytest.raises(ValidationError) as refused, cmd() as s:
        administration.update_privacy(s, user("admin"), tid, retention_days=30,
                                      small_cell_threshold=5)
    assert refused.value.field == "confirm_due" and refused.value.params["due"] == 1
    assert db.get(Table, tid).retention_days == 90 and _privacy_entries(db) == []
    with cmd() as s:
        administration.update_privacy(s, user("admin"), tid, retention_days=30,
                                      small_cell_threshold=5, confirmed_due=1)
    assert db.get(Table, tid).retention_days == 30
    assert _privacy_entries(db)[-1]["identities_due"] == 1


def test_a_table_below_the_floor_may_keep_its_threshold_but_never_lower_it(db, cmd, user,
                                                                             core_world):
    """A table made before the floor existed (threshold 2) can still change its retention."""
    tid = core_world.table_id
    db.execute(update(Table).where(Table.id == tid).values(small_cell_threshold=2))
    db.commit()
    with cmd() as s:
        administration.update_privacy(s, user("admin"), tid, retention_days=120,
                                      small_cell_threshold=2)
    with pytest.raises(ValidationError), cmd() as s:
        administration.update_privacy(s, user("admin"), tid, retention_days=120,
                                      small_cell_threshold=1)
    assert db.get(Table, tid).small_cell_threshold == 2


def test_a_new_table_gets_the_same_bounds(cmd, user):
    with pytest.raises(ValidationError) as refused, cmd() as s:
        directory_admin.add_table(s, user("admin"), code="LOW", name="Low", country="CA",
                                  small_cell_threshold=2)
    assert refused.value.field == "small_cell_threshold"
    with pytest.raises(ValidationError) as refused, cmd() as s:
        directory_admin.add_table(s, user("admin"), code="LONG", name="Long", country="CA",
                                  retention_days=directory.MAX_RETENTION_DAYS + 1)
    assert refused.value.field == "retention_days"
