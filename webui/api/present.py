"""What the API says about a situation or a task: the de-identified record, never identity.

Why a deliberate allow-list: identity lives apart (workflow/identity.py) and is never read here,
and even the de-identified record's free text (the filter 1 summary, report-back notes) stays
out of status answers: an agency's system needs to know where a situation stands, not what was
said about it. Every field below is a code, a number, a date or a reference, but one: a task's
description, which is the work the table asked of the agency (written at planning for the
agencies to read) and without which a task list would be no use.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from workflow.models import Meeting, Situation, Task


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat()


def agency_roles(situation: Situation, agency_id: int) -> list[str]:
    """How the calling agency knows this situation (it may be several at once)."""
    roles = []
    if situation.originating_agency_id == agency_id:
        roles.append("originating")
    if situation.lead_agency_id == agency_id:
        roles.append("lead")
    if agency_id in situation.assisting_agency_ids:
        roles.append("assisting")
    if agency_id in situation.granted_agency_ids:
        roles.append("granted")
    return roles


def _meeting(meeting: Meeting | None) -> dict[str, Any] | None:
    if meeting is None:
        return None
    return {"id": meeting.id, "scheduled_at": iso(meeting.scheduled_at), "status": meeting.status}


def situation_status(situation: Situation, agency_id: int, next_meeting: Meeting | None
                     ) -> dict[str, Any]:
    """Where the situation stands, as the calling agency sees it (see the module's allow-list)."""
    return {
        "id": situation.id,
        "ref": situation.ref,
        "version": situation.version,
        "stage": situation.stage,
        "open": situation.is_open,
        "table": {"id": situation.table.id, "code": situation.table.code,
                  "name": situation.table.name},
        "my_agency_roles": agency_roles(situation, agency_id),
        "facts": {
            "situation_type": situation.situation_type,
            "age_group": situation.age_group,
            "gender": situation.gender,
            "persons_count": situation.persons_count,
            "risk_factors": [f.factor_code for f in situation.risk_factors],
            "aer_reasons": [f.factor_code for f in situation.risk_factors if f.is_aer_reason],
        },
        "dates": {
            "created_at": iso(situation.created_at),
            "submitted_at": iso(situation.submitted_at),
            "presented_at": iso(situation.presented_at),
            "decided_at": iso(situation.decided_at),
            "accepted_at": iso(situation.accepted_at),
            "closed_at": iso(situation.closed_at),
        },
        "next_meeting": _meeting(next_meeting),
        "first_contact_due": iso(situation.first_contact_due),
        "first_contact_at": iso(situation.first_contact_at),
        "outcome": {
            "rejection_reason": situation.rejection_reason,
            "conclusion_reason": situation.conclusion_reason,
            "withdrawal_reason": situation.withdrawal_reason,
        },
    }


def task_item(task: Task, *, now: datetime) -> dict[str, Any]:
    """An open task; `overdue` is judged on the table's own calendar day."""
    situation = task.situation
    today = now.astimezone(ZoneInfo(situation.table.timezone or "UTC")).date()
    return {
        "id": task.id,
        "description": task.description,
        "status": task.status,
        "due_date": iso(task.due_date),
        "overdue": task.due_date is not None and task.due_date < today,
        "created_at": iso(task.created_at),
        "situation": {"id": situation.id, "ref": situation.ref, "stage": situation.stage,
                      "table": situation.table.code},
    }
