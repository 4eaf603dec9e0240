"""Deactivating an agency on its page (/admin/agencies/<id>) writes one notice to it and one
to each affected table's chairs, however much else the same save changes; reactivating writes
the agency one notice that its access is back. Both databases."""

from __future__ import annotations

from sqlalchemy import select
from support.factories import in_intervention

from web.conftest import signed_in
from workflow.models import OutboxEvent, Table


def _told(world, since: int) -> list[tuple[str, list[int], bool]]:
    with world.runtime.read() as s:
        return [(e.event_type, e.agency_ids, e.to_chairs) for e in s.scalars(
            select(OutboxEvent).where(OutboxEvent.id > since).order_by(OutboxEvent.id))]


def _last_event(world) -> int:
    with world.runtime.read() as s:
        return max(s.scalars(select(OutboxEvent.id)), default=0)


def _form(world, *, active: str, tables: list[int]) -> dict:
    return {"contact_email": "housing@agencies.test", "language": "en", "active": active,
            "table_ids": [str(t) for t in tables], "table_ids-shown": "1",
            "open_work_understood": "yes"}


def test_one_save_deactivating_and_moving_an_agency_tells_it_once_and_the_chairs_once(
        app, world):
    in_intervention(world)  # housing assists it
    with world.runtime.read() as s:
        other = s.scalars(select(Table.id).where(Table.code == "OTHER")).one()
    housing = world.agencies["housing"]
    admin = signed_in(app, "admin")

    since = _last_event(world)
    page = admin.post(f"/admin/agencies/{housing}",
                      _form(world, active="no", tables=[world.table_id, other]))
    assert page.status_code == 302
    assert _told(world, since) == [("agency.deactivated", [housing], False),
                                   ("table.agency_deactivated", [], True)]

    since = _last_event(world)
    page = admin.post(f"/admin/agencies/{housing}",
                      _form(world, active="yes", tables=[world.table_id]))
    assert page.status_code == 302
    assert _told(world, since) == [("agency.reactivated", [housing], False)]
