"""The API's schemas (components/schemas of /api/v1/openapi.json), grouped as the API is.

Written as data on purpose (see webui/api/openapi.py); the short code lists come from the
reference data so that the enums never drift.
"""

from __future__ import annotations

from typing import Any

from workflow.models import STAGES
from workflow.models.meeting import MEETING_STATUSES
from workflow.reference import load_catalog


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema_type: str, **more: Any) -> dict[str, Any]:
    return {"type": [schema_type, "null"], **more}


#: POST /situations's optional retry key (webui/api/situations.py, workflow/form_tokens.py).
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "A key of your choosing, new for each situation: a retry with the same key "
                   "(a lost answer, a timeout) makes no second situation but answers 200 with "
                   "the one the first request made. A key another agency used is a 409.",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"},
}


def _enum(kind: str) -> list[str]:
    """The codes of a short list, in the reference file's order."""
    return list(load_catalog().items(kind))


def _common() -> dict[str, Any]:
    """Errors, labels, meetings and the reference data."""
    code_item = {
        "type": "object",
        "required": ["code", "labels"],
        "properties": {"code": {"type": "string"}, "labels": ref("Labels")},
        "additionalProperties": True,
        "description": "A code and its labels; age groups add child/minor, conclusion "
                       "reasons add outcome.",
    }
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "required": ["message", "field"],
                "properties": {
                    "message": {"type": "string", "description": "What is wrong and what to do."},
                    "field": nullable("string", description="The body field (or header) at "
                                       "fault, when the error is about one."),
                    "messages": {"type": "array", "items": {"type": "string"},
                                 "description": "Each refusing rule's message (422 only)."},
                },
            }},
        },
        "Meeting": {
            "type": "object",
            "required": ["id", "scheduled_at", "status"],
            "properties": {"id": {"type": "integer"},
                           "scheduled_at": {"type": "string", "format": "date-time"},
                           "status": {"type": "string", "enum": list(MEETING_STATUSES)}},
        },
        "Labels": {"type": "object", "required": ["en", "vi"],
                   "properties": {"en": {"type": "string"}, "vi": {"type": "string"}}},
        "CodeItem": code_item,
        "Reference": {
            "type": "object",
            "required": ["version", "taxonomy", "codes"],
            "properties": {
                "version": {"type": "string"},
                "taxonomy": {"type": "object", "required": ["categories", "protective_factors"],
                             "properties": {
                                 "categories": {"type": "array", "items": {
                                     "type": "object", "required": ["code", "labels", "factors"],
                                     "properties": {"code": {"type": "string"},
                                                    "labels": ref("Labels"),
                                                    "factors": {"type": "array",
                                                                "items": ref("CodeItem")}}}},
                                 "protective_factors": {"type": "array",
                                                        "items": ref("CodeItem")}}},
                "codes": {"type": "object", "additionalProperties": {
                    "type": "array", "items": ref("CodeItem")}},
            },
        },
    }


def _drafting() -> dict[str, Any]:
    """What an agency sends to draft and submit a situation (filter 1)."""
    return {
        "SituationDraft": {
            "type": "object",
            "description": "Filter 1: de-identified facts only. Never put a name, date of "
                           "birth, address or phone anywhere in this body.",
            "required": ["table", "situation_type", "age_group", "gender", "risk_factors"],
            "additionalProperties": False,
            "properties": {
                "table": {"oneOf": [{"type": "string", "minLength": 1, "maxLength": 24,
                                     "description": "Table code, e.g. PEEL"},
                                    {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}]},
                "situation_type": {"type": "string", "enum": _enum("situation_types")},
                "age_group": {"type": "string", "enum": _enum("age_groups")},
                "gender": {"type": "string", "enum": _enum("genders")},
                "risk_factors": {"type": "array", "items": {"type": "string"},
                                 "uniqueItems": True,
                                 "description": "Factor codes from GET /reference "
                                                "(taxonomy.categories[].factors[].code)."},
                "aer_reasons": {"type": "array", "items": {"type": "string"},
                                "description": "The chosen risk factors that make the risk "
                                               "acutely elevated."},
                "summary": {"type": "string", "maxLength": 1000,
                            "description": "A short de-identified summary."},
                "persons_count": {"type": "integer", "minimum": 1, "maximum": 50,
                                  "default": 1},
                "options_exhausted": nullable("boolean"),
                "needs_multiple_agencies": nullable("boolean"),
                "harm_probable_imminent": nullable("boolean"),
                "consent": nullable("string", enum=[*_enum("consent"), None]),
                "help_source": nullable("string", enum=[*_enum("help_sources"), None]),
                "screening_answers": nullable(
                    "object", additionalProperties={"type": "boolean"},
                    description="Answers to the table's screening checklist, if it has one."),
                "confirm_deidentified": {"type": "boolean", "default": False, "description": (
                    "A summary that looks as if it holds identity (a name, a birth date, a "
                    "phone or ID number...) is refused unless this is true: nothing in it "
                    "identifies anyone.")},
                "submit": {"type": "boolean", "default": False,
                           "description": "Submit at once. Drafting and submitting are then "
                                          "one transaction: a refusal leaves no draft."},
                "earlier_check": {
                    "type": "object", "additionalProperties": False,
                    "properties": {"name": {"type": "string", "maxLength": 200},
                                   "birth_date": {"type": "string", "format": "date"}},
                    "description": "Optional: the person's name and birth date, to let the "
                                   "table know whether it likely discussed them before. Only "
                                   "keyed tokens are kept; never stored, logged or echoed."},
            },
        },
        "SubmitRequest": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"version": {
                "type": "integer", "description": "The version you last read; 409 if the "
                "situation changed since."}},
        },
    }


def _status() -> dict[str, Any]:
    """Where a situation stands, one or a page of them."""
    date_time = nullable("string", format="date-time")
    return {
        "SituationStatus": {
            "type": "object",
            "description": "Where a situation stands. De-identified: no identity, no free text.",
            "required": ["id", "ref", "version", "stage", "open", "table", "my_agency_roles",
                         "facts", "dates", "next_meeting", "first_contact_due",
                         "first_contact_at", "outcome"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "integer"},
                "ref": {"type": "string", "description": "The table's reference, e.g. "
                        "PEEL-000042."},
                "version": {"type": "integer"},
                "stage": {"type": "string", "enum": list(STAGES)},
                "open": {"type": "boolean"},
                "table": {"type": "object", "required": ["id", "code", "name"],
                          "properties": {"id": {"type": "integer"}, "code": {"type": "string"},
                                         "name": {"type": "string"}}},
                "my_agency_roles": {"type": "array", "items": {
                    "type": "string", "enum": ["originating", "lead", "assisting", "granted"]}},
                "facts": {"type": "object", "properties": {
                    "situation_type": {"type": "string"}, "age_group": {"type": "string"},
                    "gender": {"type": "string"}, "persons_count": {"type": "integer"},
                    "risk_factors": {"type": "array", "items": {"type": "string"}},
                    "aer_reasons": {"type": "array", "items": {"type": "string"}}},
                    "additionalProperties": False},
                "dates": {"type": "object", "additionalProperties": False, "properties": {
                    name: date_time for name in ("created_at", "submitted_at", "presented_at",
                                                 "decided_at", "accepted_at", "closed_at")}},
                "next_meeting": {"oneOf": [ref("Meeting"), {"type": "null"}]},
                "first_contact_due": date_time,
                "first_contact_at": date_time,
                "outcome": {"type": "object", "additionalProperties": False, "properties": {
                    "rejection_reason": nullable("string"),
                    "conclusion_reason": nullable("string"),
                    "withdrawal_reason": nullable("string")}},
            },
        },
        "SituationList": {
            "type": "object", "required": ["situations", "count", "next_offset"],
            "properties": {"situations": {"type": "array", "items": ref("SituationStatus")},
                           "count": {"type": "integer", "description": "Situations on this "
                                     "page."},
                           "next_offset": nullable("integer", description="The offset of "
                                                    "the next page; null on the last.")},
        },
    }


def _tasks() -> dict[str, Any]:
    """An agency's open tasks."""
    return {
        "Task": {
            "type": "object",
            "required": ["id", "description", "status", "due_date", "overdue", "created_at",
                         "situation"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "integer"},
                "description": {"type": "string"},
                "status": {"type": "string", "enum": ["open"]},
                "due_date": nullable("string", format="date"),
                "overdue": {"type": "boolean",
                            "description": "Due before today on the table's calendar."},
                "created_at": {"type": "string", "format": "date-time"},
                "situation": {"type": "object", "required": ["id", "ref", "stage", "table"],
                              "properties": {"id": {"type": "integer"},
                                             "ref": {"type": "string"},
                                             "stage": {"type": "string"},
                                             "table": {"type": "string"}}},
            },
        },
        "TaskList": {
            "type": "object", "required": ["tasks", "count"],
            "properties": {"tasks": {"type": "array", "items": ref("Task")},
                           "count": {"type": "integer"}},
        },
    }


def _rounds() -> dict[str, Any]:
    """Decision rounds between meetings, and the follow-up after a closure."""
    date_time = nullable("string", format="date-time")
    return {
        "RoundList": {
            "type": "object", "required": ["rounds", "count"],
            "properties": {"count": {"type": "integer"}, "rounds": {"type": "array", "items": {
                "type": "object", "required": ["id", "closes_at", "situation_ids", "answered"],
                "properties": {"id": {"type": "integer"},
                               "closes_at": {"type": "string", "format": "date-time"},
                               "situation_ids": {"type": "array",
                                                 "items": {"type": "integer"}},
                               "answered": {"type": "array", "items": {"type": "integer"},
                                            "description": "Situations my agency answered."}}}}},
        },
        "RoundAnswerRequest": {
            "type": "object", "required": ["situation_id", "aer"],
            "additionalProperties": False,
            "properties": {
                "situation_id": {"type": "integer"},
                "aer": {"type": "boolean", "description": "Acutely elevated risk, in my "
                        "agency's view."},
                "contributes": {"type": "array", "items": {"type": "string"},
                                "description": "Service codes my agency can contribute."},
                "needed_at_filter_3": {"type": "boolean", "description": "My agency needs "
                                       "the limited identity to help."}},
        },
        "RoundAnswer": {
            "type": "object",
            "required": ["round_id", "situation_id", "aer", "contributes",
                         "needed_at_filter_3", "answered_at", "round_status"],
            "properties": {
                "round_id": {"type": "integer"}, "situation_id": {"type": "integer"},
                "aer": {"type": "boolean"},
                "contributes": {"type": "array", "items": {"type": "string"}},
                "needed_at_filter_3": {"type": "boolean"},
                "answered_at": {"type": "string", "format": "date-time"},
                "round_status": {"type": "string", "enum": ["open", "deciding", "decided"]}},
        },
        "FollowUpRequest": {
            "type": "object", "required": ["answer"], "additionalProperties": False,
            "properties": {
                "answer": {"type": "string",
                           "enum": ["yes", "no", "re_presented", "not_known"],
                           "description": "Did the lowered risk stay lowered?"},
                "re_present": {"type": "boolean", "description": "With a 'no': re-present "
                               "it now (the originating agency only)."}},
        },
        "FollowUp": {
            "type": "object", "required": ["situation_id", "answer", "answered_at",
                                           "re_presented_as"],
            "properties": {"situation_id": {"type": "integer"}, "answer": {"type": "string"},
                           "answered_at": date_time,
                           "re_presented_as": nullable("integer")},
        },
    }


def schemas() -> dict[str, Any]:
    return {**_common(), **_drafting(), **_status(), **_tasks(), **_rounds()}
