"""The archive of stored monthly reports (workflow/reports/archive.py, restored.py), both
databases: managers and chairs read their tables' stored reports and no other's, newest month
first; a table outside their scope is not found, like one that does not exist; a report stored
below its table's current small-cell threshold is rebuilt before anyone reads it; a stored
body reads back as the Report it was made from."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from reports.helpers import drop_from_stored_scope
from workflow import administration, directory
from workflow.errors import NotFound, PermissionDenied, ValidationError
from workflow.models import AuditEntry, StoredReport, Table, User
from workflow.reports import build_report, month_period, resolve_scope, store_monthly
from workflow.reports.archive import REBUILT, stored_report, stored_reports
from workflow.reports.phrase import Phrase
from workflow.reports.restored import report_from_body

FEB_1 = datetime(2026, 2, 1, 1, tzinfo=UTC)
MAR_1 = datetime(2026, 3, 1, 1, tzinfo=UTC)


def _other_table(world) -> int:
    with world.runtime.read() as s:
        return s.scalar(select(Table.id).where(Table.code == "OTHER"))


def _store(world, table_id: int, period: str, now: datetime) -> None:
    with world.runtime.command() as s:
        store_monthly(s, table_id, period, now=now)


def _other_manager(world) -> int:
    """A manager of the other table only."""
    with world.runtime.command() as s:
        user = directory.create_user(s, email="other-manager@demo.hubtable.test",
                                     display_name="Other manager", password="", role="manager",
                                     agency_id=world.agencies["outsider"],
                                     table_ids=[_other_table(world)], password_hash="x")
        return user.id


def _listed(world, who: str | int) -> list[tuple[str, str]]:
    with world.runtime.read() as s:
        actor = world.user(s, who) if isinstance(who, str) else s.get(User, who)
        return [(e.table_code, e.period) for e in stored_reports(s, actor)]


def _entries(world, who: str) -> list:
    with world.runtime.read() as s:
        return stored_reports(s, world.user(s, who))


def _read(world, who: str, code: str, period: str, **kw):
    with world.runtime.command() as s:
        return stored_report(s, world.user(s, who), code, period, **kw)


def _decisions_total(body: dict) -> dict:
    decisions = next(f for f in body["figures"] if f["key"] == "decisions")
    return decisions["total"]["cells"][0]


@pytest.fixture
def stored(world, dataset):
    """PEEL's December, January and February, stored at threshold 1; OTHER's January."""
    for period, now in (("2026-01", FEB_1), ("2025-12", datetime(2026, 1, 1, 1, tzinfo=UTC)),
                        ("2026-02", MAR_1)):
        _store(world, world.table_id, period, now)
    _store(world, _other_table(world), "2026-01", FEB_1)
    return dataset


@pytest.mark.parametrize("who", ["manager", "chair"])
def test_managers_and_chairs_list_their_tables_stored_reports_newest_month_first(
        world, stored, who):
    assert _listed(world, who) == [("PEEL", "2026-02"), ("PEEL", "2026-01"),
                                   ("PEEL", "2025-12")]


def test_a_manager_of_another_table_lists_only_that_tables_reports(world, stored):
    assert _listed(world, _other_manager(world)) == [("OTHER", "2026-01")]


def test_the_list_holds_when_each_was_stored_and_no_figure(world, stored):
    with world.runtime.read() as s:
        [newest, *_] = stored_reports(s, world.user(s, "manager"))
    assert newest.stored_at == MAR_1 and not newest.rebuilt
    assert (newest.table_name, newest.timezone) == ("Peel Situation Table", "America/Toronto")
    assert not hasattr(newest, "body")


@pytest.mark.parametrize("who", ["manager", "chair"])
def test_a_stored_report_reads_as_it_was_stored(world, stored, who):
    with world.runtime.read() as s:
        kept = s.scalar(select(StoredReport.body).where(StoredReport.table_id == world.table_id,
                                                        StoredReport.period == "2026-01"))
    found = _read(world, who, "PEEL", "2026-01")
    assert found.body == kept
    assert _decisions_total(found.body)["text"] == "4"  # A1, A2, R1, W1 in January
    assert (found.table_code, found.period, found.stored_at) == ("PEEL", "2026-01", FEB_1)
    assert found.rebuilt is None


@pytest.mark.parametrize("who", ["manager", "chair"])
def test_another_tables_report_is_not_found_exactly_like_a_table_that_does_not_exist(
        world, stored, who):
    with pytest.raises(NotFound) as other:
        _read(world, who, "OTHER", "2026-01")  # exists, and is stored
    with pytest.raises(NotFound) as unknown:
        _read(world, who, "NOPE", "2026-01")
    assert str(other.value) == str(unknown.value)
    assert other.value.field == unknown.value.field
    with pytest.raises(NotFound):
        _read(world, who, "PEEL", "2026-03")  # a month with nothing stored


@pytest.mark.parametrize("who", ["school", "outsider", "admin"])
def test_agency_users_and_administrators_are_refused(world, stored, who):
    with world.runtime.read() as s, pytest.raises(PermissionDenied):
        stored_reports(s, world.user(s, who))
    with pytest.raises(PermissionDenied):
        _read(world, who, "PEEL", "2026-01")


@pytest.mark.parametrize("period", ["2026-13", "2026-00", "2026-1", "26-01", "2026-01-01",
                                    "٢٠٢٦-٠١", "", "2026-01\x00", "x" * 300])
def test_a_period_that_is_not_a_month_is_refused(world, stored, period):
    with pytest.raises(ValidationError, match="not a month like 2026-01") as refused:
        _read(world, "manager", "PEEL", period)
    assert refused.value.field == "period"


def test_a_raised_threshold_rebuilds_the_stored_report_before_it_is_shown(world, stored):
    with world.runtime.command() as s:
        administration.update_privacy(s, world.user(s, "admin"), world.table_id,
                                      retention_days=90, small_cell_threshold=5)
    at = datetime(2026, 4, 2, 9, tzinfo=UTC)
    found = _read(world, "manager", "PEEL", "2026-01", now=at)
    assert found.body["scope"]["threshold"] == 5
    total = _decisions_total(found.body)
    assert (total["value"], total["text"]) == (None, "<5")  # 4 was shown at threshold 1
    assert found.rebuilt is not None
    assert (found.rebuilt.at, found.rebuilt.threshold_before, found.rebuilt.threshold) == (
        at, 1, 5)
    assert found.stored_at == at
    with world.runtime.read() as s:  # the stored row itself, in place: no second row
        rows = s.scalars(select(StoredReport).where(StoredReport.table_id == world.table_id,
                                                    StoredReport.period == "2026-01")).all()
        assert [r.body["scope"]["threshold"] for r in rows] == [5]
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == REBUILT)).all()
        assert entry.actor_id == world.users["manager"]
        assert entry.detail == {"table_id": world.table_id, "period": "2026-01",
                                "small_cell_threshold_before": 1, "small_cell_threshold": 5,
                                "suppression_method_before": 2, "suppression_method": 2}
    again = _read(world, "chair", "PEEL", "2026-01")  # read later: said, not done again
    assert again.body == found.body
    assert again.rebuilt == found.rebuilt
    with world.runtime.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == REBUILT)) == 1
    with world.runtime.read() as s:  # the list says which one is a rebuild
        assert [(e.period, e.rebuilt) for e in stored_reports(s, world.user(s, "chair"))] == [
            ("2026-02", False), ("2026-01", True), ("2025-12", False)]
    # The other months are rebuilt when they are read, each on its own.
    assert _read(world, "manager", "PEEL", "2026-02").rebuilt is not None


def test_a_lowered_threshold_leaves_the_stored_report_as_it_was(world, stored):
    _store(world, world.table_id, "2026-01", FEB_1)
    with world.runtime.command() as s:
        s.execute(update(Table).where(Table.id == world.table_id)
                  .values(small_cell_threshold=5))
    strict = _read(world, "manager", "PEEL", "2026-01")
    assert strict.rebuilt is not None
    with world.runtime.command() as s:
        s.execute(update(Table).where(Table.id == world.table_id)
                  .values(small_cell_threshold=3))
    lowered = _read(world, "manager", "PEEL", "2026-01")
    assert lowered.body == strict.body and lowered.body["scope"]["threshold"] == 5


def test_a_report_stored_again_by_the_flow_is_no_rebuild_any_more(world, stored):
    with world.runtime.command() as s:
        s.execute(update(Table).where(Table.id == world.table_id)
                  .values(small_cell_threshold=5))
    rebuilt_at = datetime(2026, 4, 2, tzinfo=UTC)
    assert _read(world, "manager", "PEEL", "2026-01", now=rebuilt_at).rebuilt is not None
    _store(world, world.table_id, "2026-01", datetime(2026, 5, 1, tzinfo=UTC))
    assert _read(world, "manager", "PEEL", "2026-01").rebuilt is None
    assert ("2026-01", False) in [(e.period, e.rebuilt) for e in _entries(world, "manager")]


def test_a_body_without_a_threshold_is_rebuilt(world, stored):
    drop_from_stored_scope(world, "2026-01", "threshold")
    found = _read(world, "manager", "PEEL", "2026-01")
    assert found.rebuilt is not None and found.rebuilt.threshold_before is None
    assert found.body["scope"]["threshold"] == 1


def test_a_body_made_with_the_older_suppression_is_rebuilt_under_the_same_threshold(
        world, stored):
    """Stored before the disclosure audit (its scope names no suppression method): it may
    pin a small count, so it is made again before it is shown, at the same threshold."""
    drop_from_stored_scope(world, "2026-01", "suppression_method")
    found = _read(world, "manager", "PEEL", "2026-01")
    assert found.rebuilt is not None
    assert (found.rebuilt.threshold_before, found.rebuilt.threshold) == (1, 1)
    assert found.body["scope"]["suppression_method"] == 2
    with world.runtime.read() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == REBUILT)).all()
        assert (entry.detail["suppression_method_before"],
                entry.detail["suppression_method"]) == (1, 2)
    assert _read(world, "manager", "PEEL", "2026-02").rebuilt is None  # made with it


def test_a_stored_body_reads_back_as_the_report_it_was_made_from(world, stored):
    with world.runtime.read() as s:
        report = build_report(s, resolve_scope(s, month_period("2026-01"), table="PEEL"))
    body = json.loads(json.dumps(report.as_dict()))  # as the JSON column keeps it
    restored = report_from_body(body)
    assert restored.as_dict() == body
    assert restored.figure("decisions").total["cells"][0].text == "4"
    # The scope line is said again, with its templates, because it reads as stored.
    assert isinstance(restored.scope["period"], Phrase)
    assert restored.scope["period"].template == "%(start)s to %(end)s"
    assert restored.scope["suppression"] == report.scope["suppression"]
    assert isinstance(restored.scope["suppression"], Phrase)


def test_a_scope_line_that_does_not_read_as_made_again_stays_as_stored(world, stored):
    with world.runtime.read() as s:
        report = build_report(s, resolve_scope(s, month_period("2026-01"), table="PEEL"))
    body = json.loads(json.dumps(report.as_dict()))
    body["scope"]["period"] = "January 2026"
    body["scope"]["threshold"] = 7  # the note says 1: it stays the note that was stored
    restored = report_from_body(body)
    assert restored.scope["period"] == "January 2026"
    assert not isinstance(restored.scope["period"], Phrase)
    assert restored.scope["suppression"] == body["scope"]["suppression"]
    assert not isinstance(restored.scope["suppression"], Phrase)
