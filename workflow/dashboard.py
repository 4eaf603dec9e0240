"""The coordinator's dashboard: every open situation of the tables the actor coordinates.

A read model (see workflow/queries.py for why read models live in the core): a few SQL
statements for any number of rows, after workflow.access says the actor may ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import access, stages
from workflow.models import Agency, Flag, Meeting, Situation, User, utcnow
from workflow.queries import chaired_tables
from workflow.situation_rows import (
    ROW_COLUMNS,
    SituationRow,
    attention,
    held_since,
    meeting_held_at,
    meetings_held,
)

DASHBOARD_STAGES = stages.DASHBOARD_STAGES


@dataclass
class DashboardFilter:
    stage: str | None = None
    flagged: bool = False
    overdue: bool = False
    table_id: int | None = None


def dashboard(session: Session, actor: User, filters: DashboardFilter | None = None, *,
              now: datetime | None = None) -> list[SituationRow]:
    """Every open situation of the tables the actor coordinates, with what needs attention."""
    access.require_permission(actor, "table.coordinate")
    now = now or utcnow()
    filters = filters or DashboardFilter()
    tables = {t.id for t in chaired_tables(session, actor)}
    if filters.table_id is not None:
        tables &= {filters.table_id}
    if not tables:
        return []
    query = (select(*ROW_COLUMNS, Situation.table_id, Agency.name.label("lead"))
             .outerjoin(Agency, Agency.id == Situation.lead_agency_id)
             .where(Situation.table_id.in_(tables), Situation.stage.in_(DASHBOARD_STAGES))
             .order_by(Situation.created_at))
    if filters.stage:
        query = query.where(Situation.stage == filters.stage)
    found = session.execute(query).all()
    flags, overdue = attention(session, [r.id for r in found], now)
    held: dict[int, list[datetime]] = {}
    for table_id, at in session.execute(
            select(Meeting.table_id, meeting_held_at())
            .where(Meeting.table_id.in_(tables), *meetings_held())
            .order_by(meeting_held_at())):
        held.setdefault(table_id, []).append(at)
    rows = []
    for r in found:
        row = SituationRow(
            id=r.id, ref=r.ref or str(r.id), stage=r.stage, situation_type=r.situation_type,
            age_group=r.age_group, gender=r.gender, created_at=r.created_at,
            accepted_at=r.accepted_at, flags=flags.get(r.id, 0), overdue=overdue.get(r.id, 0),
            kind="new" if r.stage in stages.NEW_STAGES else "report_back", lead_agency=r.lead or "",
            meetings_open=held_since(held.get(r.table_id, []), r.accepted_at))
        if (filters.flagged and not row.flags) or (filters.overdue and not row.overdue):
            continue
        rows.append(row)
    labelled = {r.id: r for r in rows if r.flags}
    if labelled:
        for flag in session.scalars(select(Flag).where(Flag.situation_id.in_(labelled),
                                                       Flag.cleared_at.is_(None))):
            labelled[flag.situation_id].flag_labels.append((flag.label_en or flag.code,
                                                            flag.label_vi or flag.label_en))
    return rows
