"""The administrator's table settings, reviewed through the real pages (both databases): a
time zone no file can be named after is a field error, not a crash; a shipped pack version a
table starts using is stored (frozen) then, so a later release cannot change a table's rules
behind its version; and the audit says what a schedule or pack change changed."""

from __future__ import annotations

from sqlalchemy import select

from rules.loader import load_pack, load_shipped_pack
from web.conftest import signed_in
from workflow.models import AuditEntry, RulePackRecord, Table
from workflow.rulebook import packs

VN = "vn-gbv-child-protection"


def _schedule(**overrides) -> dict:
    return {"form": "schedule", "meeting_weekday": "2", "meeting_time": "10:00",
            "meeting_place": "Room 2", "timezone": "America/Toronto", **overrides}


def _table(world) -> Table:
    with world.runtime.read() as s:
        table = s.get(Table, world.table_id)
        s.expunge(table)
        return table


def _audit(world, action: str) -> list[dict]:
    with world.runtime.read() as s:
        return [e.detail for e in s.scalars(select(AuditEntry).where(
            AuditEntry.action == action).order_by(AuditEntry.id))]


def test_a_time_zone_too_long_for_a_file_name_is_a_field_error_not_a_crash(app, world):
    response = signed_in(app, "admin").post(f"/admin/tables/{world.table_id}",
                                            _schedule(timezone="x" * 300))
    assert response.status_code == 400
    assert 'id="timezone-error"' in response.get_data(as_text=True)
    assert _table(world).timezone == "America/Toronto"
    assert _audit(world, "table.schedule") == []


def test_the_schedule_audit_says_which_time_zone_and_place_the_table_now_has(app, world):
    response = signed_in(app, "admin").post(f"/admin/tables/{world.table_id}", _schedule(
        timezone="America/Winnipeg", meeting_place="Civic Centre"))
    assert response.status_code == 302
    [entry] = _audit(world, "table.schedule")
    assert entry["timezone"] == "America/Winnipeg" and entry["place"] == "Civic Centre"


def _a_later_release(monkeypatch, short: str) -> None:
    """The shipped file of this pack now holds the next version, and no pack is cached."""
    now = load_shipped_pack(short)
    later = load_pack(now.source_text.replace(f'version: "{now.version}"', 'version: "9.9"', 1))
    assert later.version == "9.9"
    monkeypatch.setattr(packs, "load_shipped_pack", lambda name: later)
    monkeypatch.setattr(packs, "_installed", {})


def test_a_shipped_version_chosen_on_the_page_is_frozen_for_the_table(app, world,
                                                                       monkeypatch):
    response = signed_in(app, "admin").post(f"/admin/tables/{world.table_id}",
                                            {"form": "pack", "rule_pack": f"{VN}@1.2"})
    assert response.status_code == 302
    with world.runtime.read() as s:
        stored = s.scalar(select(RulePackRecord.source).where(
            RulePackRecord.name == VN, RulePackRecord.version == "1.2"))
    assert stored == load_shipped_pack("vietnam").source_text
    assert _audit(world, "table.rule_pack")[-1]["before"].startswith("ontario-four-filter ")

    _a_later_release(monkeypatch, "vietnam")
    with world.runtime.read() as s:
        assert packs.pack_for(s, s.get(Table, world.table_id)).version == "1.2"


def test_a_new_tables_shipped_version_is_frozen_when_the_table_is_created(app, world,
                                                                          monkeypatch):
    shipped = load_shipped_pack("ontario").version
    response = signed_in(app, "admin").post("/admin/tables", {
        "code": "PEEL-N", "name": "Peel North", "country": "CA", "subdivision": "ON",
        "language": "en", "timezone": "America/Toronto", "meeting_weekday": "1",
        "meeting_time": "09:00"})
    assert response.status_code == 302
    _a_later_release(monkeypatch, "ontario")
    with world.runtime.read() as s:
        table = s.scalar(select(Table).where(Table.code == "PEEL-N"))
        assert table.rule_pack_version == shipped
        assert packs.pack_for(s, table).version == shipped
