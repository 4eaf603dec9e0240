"""The read models behind the pages (workflow/queries.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.factories import close_meeting, in_intervention, submitted

from workflow import agency_queries, dashboard, queries, rulebook
from workflow.errors import NotFound, PermissionDenied
from workflow.models import Deadline, Flag, Situation, utcnow


def test_agenda_puts_new_before_report_backs_and_flagged_or_overdue_first(world):
    open_id, first = in_intervention(world)
    close_meeting(world, first)
    plain, flagged, overdue = (submitted(world) for _ in range(3))
    with world.runtime.command() as s:
        s.add(Flag(situation_id=flagged, code="re_presented", label_en="Re-presented"))
        s.add(Deadline(situation_id=overdue, kind="emergency",
                       due_at=utcnow() - timedelta(hours=1)))
        chair = world.user(s, "chair")
        second = queries.next_meeting(s, chair, world.table_id).id
    assert second != first
    with world.runtime.read() as s:
        view = queries.agenda(s, world.user(s, "chair"), second)
    assert [r.id for r in view.new] == [flagged, overdue, plain]
    assert [r.id for r in view.report_backs] == [open_id]
    assert view.rows[0].flags == 1 and view.rows[1].overdue == 1


def test_agenda_and_dashboard_are_for_the_tables_chair_only(world):
    _sid, mid = in_intervention(world)
    with world.runtime.read() as s:
        with pytest.raises(PermissionDenied):
            queries.agenda(s, world.user(s, "cmha"), mid)
        with pytest.raises(PermissionDenied):
            dashboard.dashboard(s, world.user(s, "manager"))
        with pytest.raises(NotFound):
            queries.agenda(s, world.user(s, "chair"), 999999)


def test_dashboard_counts_meetings_open_and_filters(world):
    sid, mid = in_intervention(world)
    new_id = submitted(world)
    close_meeting(world, mid)
    with world.runtime.read() as s:
        chair = world.user(s, "chair")
        rows = {r.id: r for r in dashboard.dashboard(s, chair)}
        assert set(rows) == {sid, new_id}
        # the same count the rules use (the meeting that accepted it is not one held since)
        assert rows[sid].meetings_open == rulebook.meetings_open(s, s.get(Situation, sid)) == 0
        assert rows[sid].lead_agency == "Mental Health Association"
        only = dashboard.dashboard(s, chair, dashboard.DashboardFilter(stage="on_agenda"))
        assert [r.id for r in only] == [new_id]
        assert dashboard.dashboard(s, chair, dashboard.DashboardFilter(flagged=True)) == []


def test_my_agency_lists_what_the_agency_presented_leads_assists_and_owes(world):
    sid, _mid = in_intervention(world)
    with world.runtime.read() as s:
        housing = agency_queries.my_agency(s, world.user(s, "housing"))
        school = agency_queries.my_agency(s, world.user(s, "school"))
        outsider = agency_queries.my_agency(s, world.user(s, "outsider"))
    assert [r.id for r in housing.assisting] == [sid] and housing.leading == []
    assert [t.task.description for t in housing.tasks] == ["Find shelter bed"]
    assert [r.id for r in school.presented] == [sid] and school.tasks == []
    assert outsider.presented == outsider.leading == outsider.granted == []
