"""Telling an agency that its access ended or came back, and the chairs what it leaves behind.

Why apart from workflow/directory_admin.py: the administrator's command changes the agency;
this says who must hear of it. A deactivated agency is told nothing else ever again (the
notification router skips inactive agencies), so the notice that its access ended is the one
event an inactive agency still hears, at its contact address alone (see
workflow.notification_preferences.Router). The open situations it led or assisted lose its
hands: each table's chairs get their references and the agency's part in each, to plan at the
next meeting. A reference is de-identified; no identity and no free text travel.
"""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from workflow import stages
from workflow.models import Agency, Involvement, Situation, TableMembership
from workflow.outbox import emit

#: To the agency: its access ended (reaches it although it is inactive) / came back.
DEACTIVATED = "agency.deactivated"
REACTIVATED = "agency.reactivated"
ACCESS_NOTICES = (DEACTIVATED, REACTIVATED)
#: To one table's chairs: an agency with open work there was deactivated.
OPEN_WORK_LEFT = "table.agency_deactivated"


def home_table(session: Session, agency_id: int) -> int | None:
    """The table an agency's own notices are filed under (the first it sits at), or none."""
    return session.scalar(select(TableMembership.table_id).where(
        TableMembership.agency_id == agency_id).order_by(TableMembership.table_id).limit(1))


def open_work_by_table(session: Session, agency_id: int) -> dict[int, list[tuple[str, str]]]:
    """The open situations the agency leads or assists, as (reference, "lead" | "assisting")
    by table, oldest first: the same situations workflow.directory_admin counts."""
    rows = session.execute(
        select(Situation.table_id, Situation.ref, Situation.lead_agency_id, Involvement.role)
        .outerjoin(Involvement, and_(Involvement.situation_id == Situation.id,
                                     Involvement.agency_id == agency_id))
        .where(Situation.stage.in_(stages.OPEN_STAGES), Situation.ref.is_not(None),
               or_(Situation.lead_agency_id == agency_id, Involvement.id.is_not(None)))
        .order_by(Situation.table_id, Situation.id)).tuples()
    work: dict[int, list[tuple[str, str]]] = {}
    for table_id, ref, lead_id, role in rows:
        part = "lead" if lead_id == agency_id or role == "lead" else "assisting"
        work.setdefault(table_id, []).append((str(ref), part))
    return work


def tell_access_changed(session: Session, agency: Agency) -> None:
    """After `agency.active` changed: the agency hears of it, and when it was deactivated,
    the chairs of every table where it leads or assists open situations hear which."""
    emit(session, REACTIVATED if agency.active else DEACTIVATED,
         table_id=home_table(session, agency.id), agency_ids=[agency.id],
         extra={"agency_name": agency.name})
    if agency.active:
        return
    for table_id, work in open_work_by_table(session, agency.id).items():
        emit(session, OPEN_WORK_LEFT, table_id=table_id, to_chairs=True,
             extra={"agency_name": agency.name, "situations_count": len(work),
                    "open_work": [{"ref": ref, "role": role} for ref, role in work]})
