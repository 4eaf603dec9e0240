"""The table page's "Privacy settings" form (both databases): an administrator changes the
retention period and the small-cell threshold after the table was made; a shorter period
says how many closed situations' identities it makes due and waits for a tick; the purge then
finds them; a threshold below the installation's floor is refused; the chairs are told."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from support.factories import accepted_with_identity

from web.conftest import signed_in
from workflow import directory, purge
from workflow.models import AuditEntry, OutboxEvent, Situation, Table, utcnow


def _privacy(**overrides) -> dict:
    return {"form": "privacy", "retention_days": "90", "small_cell_threshold": "5",
            **overrides}


def _table(world) -> Table:
    with world.runtime.read() as s:
        table = s.get(Table, world.table_id)
        s.expunge(table)
        return table


def _audit(world) -> list[dict]:
    with world.runtime.read() as s:
        return [e.detail for e in s.scalars(select(AuditEntry).where(
            AuditEntry.action == "table.privacy").order_by(AuditEntry.id))]


def _closed_with_identity(world, days_ago: int) -> int:
    """A situation with an identity (the real vault), closed `days_ago`."""
    sid = accepted_with_identity(world)
    with world.runtime.command() as s:
        s.execute(update(Situation).where(Situation.id == sid).values(
            stage="closed", conclusion_reason="transferred",
            closed_at=utcnow() - timedelta(days=days_ago)))
    return sid


def _due(world) -> set[int]:
    return {c.situation_id for c in purge.purge(world.runtime, dry_run=True).purged}


def test_the_table_page_has_a_labelled_privacy_form_with_the_current_values(app, world):
    page = signed_in(app, "admin").get(f"/admin/tables/{world.table_id}").get_data(as_text=True)
    assert 'id="privacy-h">Privacy settings</h2>' in page
    assert '<input type="hidden" name="form" value="privacy">' in page
    assert '<label for="retention_days">Retention period (days)</label>' in page
    assert '<label for="small_cell_threshold">Small-cell threshold</label>' in page
    assert 'id="retention_days" name="retention_days" type="number" value="90"' in page
    assert 'aria-describedby="small_cell_threshold-hint"' in page
    assert f"never set below {directory.MIN_SMALL_CELL_THRESHOLD}" in page
    assert 'name="confirm_due"' not in page  # asked for only when a count needs confirming


def test_numbers_that_are_not_whole_are_field_errors_in_the_summary(app, world):
    response = signed_in(app, "admin").post(f"/admin/tables/{world.table_id}", _privacy(
        retention_days="thirty", small_cell_threshold="2.5"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'href="#retention_days">Give the retention period as a whole number' in page
    assert 'href="#small_cell_threshold">Give the small-cell threshold as a whole' in page
    assert 'aria-describedby="retention_days-hint retention_days-error"' in page
    assert _audit(world) == []


def test_a_threshold_below_the_floor_or_a_retention_beyond_the_bounds_is_refused(app, world):
    admin = signed_in(app, "admin")
    response = admin.post(f"/admin/tables/{world.table_id}", _privacy(small_cell_threshold="3"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="small_cell_threshold-error"' in page and "from 5 to 1000" in page
    response = admin.post(f"/admin/tables/{world.table_id}", _privacy(retention_days="99999"))
    assert response.status_code == 400
    assert 'id="retention_days-error"' in response.get_data(as_text=True)
    table = _table(world)
    assert (table.retention_days, table.small_cell_threshold) == (90, 5)


def test_lengthening_and_raising_need_no_confirmation_and_are_audited_and_told(app, world):
    _closed_with_identity(world, days_ago=40)
    response = signed_in(app, "admin").post(f"/admin/tables/{world.table_id}", _privacy(
        retention_days="365", small_cell_threshold="10"))
    assert response.status_code == 302
    table = _table(world)
    assert (table.retention_days, table.small_cell_threshold) == (365, 10)
    [entry] = _audit(world)
    assert (entry["retention_days_before"], entry["retention_days"]) == (90, 365)
    assert (entry["small_cell_threshold_before"], entry["small_cell_threshold"]) == (5, 10)
    with world.runtime.read() as s:
        told = s.scalars(select(OutboxEvent).where(
            OutboxEvent.event_type == "directory.changed")).all()
        assert [(e.table_id, e.to_chairs, e.payload) for e in told] == [
            (world.table_id, True, {"change": "table.privacy", "retention_days": 365,
                                    "small_cell_threshold": 10})]


def test_a_shorter_retention_says_how_many_become_due_and_waits_for_the_tick(app, world):
    sid = _closed_with_identity(world, days_ago=40)
    assert sid not in _due(world)
    admin = signed_in(app, "admin")
    response = admin.post(f"/admin/tables/{world.table_id}", _privacy(retention_days="30"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'href="#confirm_due">' in page and "(closed situations: 1)" in page
    assert ('id="confirm_due" name="confirm_due" value="1" aria-invalid="true" '
            'aria-describedby="confirm_due-error">') in page
    assert "destroys the identity of 1 closed situation that" in page
    assert _table(world).retention_days == 90 and sid not in _due(world)

    response = admin.post(f"/admin/tables/{world.table_id}",
                          _privacy(retention_days="30", confirm_due="1"))
    assert response.status_code == 302
    assert _table(world).retention_days == 30
    assert _audit(world)[-1]["identities_due"] == 1
    assert sid in _due(world)  # the purge reads the new period: the dry run counts it


def test_a_tick_for_fewer_than_now_due_is_asked_again(app, world):
    """The confirmation is of a count: shortening further than what was confirmed asks anew."""
    _closed_with_identity(world, days_ago=40)
    _closed_with_identity(world, days_ago=20)
    response = signed_in(app, "admin").post(f"/admin/tables/{world.table_id}",
                                            _privacy(retention_days="10", confirm_due="1"))
    assert response.status_code == 400
    assert "(closed situations: 2)" in response.get_data(as_text=True)
    assert _table(world).retention_days == 90


def test_only_an_administrator_changes_the_privacy_settings(app, world):
    for who in ("chair", "manager"):
        response = signed_in(app, who).post(f"/admin/tables/{world.table_id}",
                                            _privacy(retention_days="365"))
        assert response.status_code in (403, 404)
    assert _table(world).retention_days == 90 and _audit(world) == []
    response = signed_in(app, "admin").post(f"/admin/tables/{world.table_id}",
                                            _privacy(retention_days="365"))
    assert response.status_code == 302 and _table(world).retention_days == 365
    assert [e["retention_days"] for e in _audit(world)] == [365]
