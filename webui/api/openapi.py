"""The API's OpenAPI 3.1 description, written as data and served at /api/v1/openapi.json.

Why by hand and not generated: the document is a promise to agencies' developers, so it is
written deliberately and checked by the tests against the routes the blueprint really has and
against the bodies it really returns. The short code lists (situation types, age groups...)
are filled in from the reference data so the enums never drift; the long taxonomy is
described by pointing at GET /reference.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from webui.api.blueprint import bp
from workflow.models import STAGES
from workflow.models.meeting import MEETING_STATUSES
from workflow.reference import load_catalog

API_VERSION = "1.0.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema_type: str, **more: Any) -> dict[str, Any]:
    return {"type": [schema_type, "null"], **more}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


_SITUATION_ID = {"name": "situation_id", "in": "path", "required": True,
                 "description": "The situation's id (from a list or a create answer).",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}


def _enum(kind: str) -> list[str]:
    """The codes of a short list, in the reference file's order."""
    return list(load_catalog().items(kind))


def _schemas() -> dict[str, Any]:
    code_item = {
        "type": "object",
        "required": ["code", "labels"],
        "properties": {"code": {"type": "string"}, "labels": _ref("Labels")},
        "additionalProperties": True,
        "description": "A code and its labels; age groups add child/minor, conclusion "
                       "reasons add outcome.",
    }
    date_time = _nullable("string", format="date-time")
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "required": ["message", "field"],
                "properties": {
                    "message": {"type": "string", "description": "What is wrong and what to do."},
                    "field": _nullable("string", description="The body field (or header) at "
                                       "fault, when the error is about one."),
                    "messages": {"type": "array", "items": {"type": "string"},
                                 "description": "Each refusing rule's message (422 only)."},
                },
            }},
        },
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
                "options_exhausted": _nullable("boolean"),
                "needs_multiple_agencies": _nullable("boolean"),
                "harm_probable_imminent": _nullable("boolean"),
                "consent": _nullable("string", enum=[*_enum("consent"), None]),
                "help_source": _nullable("string", enum=[*_enum("help_sources"), None]),
                "screening_answers": _nullable(
                    "object", additionalProperties={"type": "boolean"},
                    description="Answers to the table's screening checklist, if it has one."),
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
        "Meeting": {
            "type": "object",
            "required": ["id", "scheduled_at", "status"],
            "properties": {"id": {"type": "integer"},
                           "scheduled_at": {"type": "string", "format": "date-time"},
                           "status": {"type": "string", "enum": list(MEETING_STATUSES)}},
        },
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
                "next_meeting": {"oneOf": [_ref("Meeting"), {"type": "null"}]},
                "first_contact_due": date_time,
                "first_contact_at": date_time,
                "outcome": {"type": "object", "additionalProperties": False, "properties": {
                    "rejection_reason": _nullable("string"),
                    "conclusion_reason": _nullable("string"),
                    "withdrawal_reason": _nullable("string")}},
            },
        },
        "SituationList": {
            "type": "object", "required": ["situations", "count", "next_offset"],
            "properties": {"situations": {"type": "array", "items": _ref("SituationStatus")},
                           "count": {"type": "integer", "description": "Situations on this "
                                     "page."},
                           "next_offset": _nullable("integer", description="The offset of "
                                                    "the next page; null on the last.")},
        },
        "Task": {
            "type": "object",
            "required": ["id", "description", "status", "due_date", "overdue", "created_at",
                         "situation"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "integer"},
                "description": {"type": "string"},
                "status": {"type": "string", "enum": ["open"]},
                "due_date": _nullable("string", format="date"),
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
            "properties": {"tasks": {"type": "array", "items": _ref("Task")},
                           "count": {"type": "integer"}},
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
                                                    "labels": _ref("Labels"),
                                                    "factors": {"type": "array",
                                                                "items": _ref("CodeItem")}}}},
                                 "protective_factors": {"type": "array",
                                                        "items": _ref("CodeItem")}}},
                "codes": {"type": "object", "additionalProperties": {
                    "type": "array", "items": _ref("CodeItem")}},
            },
        },
    }


def _responses() -> dict[str, Any]:
    error = _ref("Error")
    return {
        "BadRequest": _json(error, "Bad input: malformed JSON, a wrong type, a missing or "
                                   "unknown field, an unknown code. `field` names it."),
        "Unauthorized": _json(error, "No token, a malformed Authorization header, or an "
                                     "unknown or revoked token."),
        "Forbidden": _json(error, "Your agency may not do this (e.g. it does not sit at "
                                  "that table)."),
        "NotFound": _json(error, "No such situation, or none your agency may see (the two "
                                 "look the same on purpose)."),
        "Conflict": _json(error, "The situation's stage does not allow this, or it changed "
                                 "since you read it."),
        "RuleRefusal": _json(error, "The table's rule pack refused; `messages` has each "
                                    "rule's message."),
    }


def _operation(operation_id: str, summary: str, ok: dict[str, Any], *errors: str,
               **more: Any) -> dict[str, Any]:
    responses = {**ok, "401": _error("Unauthorized")}
    codes = {"BadRequest": "400", "Forbidden": "403", "NotFound": "404", "Conflict": "409",
             "RuleRefusal": "422"}
    for name in errors:
        responses[codes[name]] = _error(name)
    return {"operationId": operation_id, "summary": summary, "responses": responses, **more}


def _paths() -> dict[str, Any]:
    status = {"200": _json(_ref("SituationStatus"), "The situation's status.")}
    return {
        "/situations": {
            "get": _operation(
                "listSituations", "Situations my agency presented, leads, assists or was "
                "granted, newest first.",
                {"200": _json(_ref("SituationList"), "My agency's situations.")}, "BadRequest",
                parameters=[
                    {"name": "stage", "in": "query", "required": False,
                     "schema": {"type": "string", "enum": list(STAGES)}},
                    {"name": "limit", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 500,
                                "default": 100}},
                    {"name": "offset", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1,
                                "default": 0}},
                ]),
            "post": _operation(
                "createSituation", "Draft a de-identified situation (filter 1); with "
                "`submit: true`, submit it too.",
                {"201": {**_json(_ref("SituationStatus"), "Created."),
                         "headers": {"Location": {"schema": {"type": "string"},
                                                  "description": "The new situation's URL."}}}},
                "BadRequest", "Forbidden", "Conflict", "RuleRefusal",
                requestBody={"required": True, "content": {
                    "application/json": {"schema": _ref("SituationDraft")}}}),
        },
        "/situations/{situation_id}": {
            "parameters": [_SITUATION_ID],
            "get": _operation("getSituation", "A situation's status (stage, dates, next "
                              "meeting, first contact due).", status, "NotFound"),
        },
        "/situations/{situation_id}/submit": {
            "parameters": [_SITUATION_ID],
            "post": _operation(
                "submitSituation", "Submit a draft: it goes on the next meeting's agenda.",
                status, "BadRequest", "Forbidden", "NotFound", "Conflict", "RuleRefusal",
                requestBody={"required": False, "content": {
                    "application/json": {"schema": _ref("SubmitRequest")}}}),
        },
        "/tasks": {
            "get": _operation("listTasks", "My agency's open tasks, soonest due first.",
                              {"200": _json(_ref("TaskList"), "Open tasks.")}),
        },
        "/reference": {
            "get": _operation("getReference", "The risk-factor taxonomy and the code lists, "
                              "with English and Vietnamese labels.",
                              {"200": _json(_ref("Reference"), "The reference data.")}),
        },
        "/openapi.json": {
            "get": {"operationId": "getOpenApi", "summary": "This document.", "security": [],
                    "responses": {"200": {"description": "The OpenAPI 3.1 document.",
                                          "content": {"application/json": {"schema": {
                                              "type": "object"}}}}}},
        },
    }


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hubtable API",
            "version": API_VERSION,
            "description": "For agencies' own systems: create and submit de-identified "
                           "situations, follow their status and the agency's open tasks. "
                           "Every call acts as the agency its token belongs to; no answer "
                           "ever carries identity. Errors are "
                           '`{"error": {"message": ..., "field": ...}}`.',
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"agencyToken": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"agencyToken": {
                "type": "http", "scheme": "bearer",
                "description": "The agency's API token (`hubtable demo` prints the demo "
                               "agencies' tokens): `Authorization: Bearer TOKEN`."}},
            "schemas": _schemas(),
            "responses": _responses(),
        },
    }


@bp.get("/openapi.json")
def get_openapi() -> Response:
    return jsonify(document())
