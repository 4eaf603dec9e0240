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
from webui.api.openapi_schemas import IDEMPOTENCY_KEY, ref, schemas
from workflow.models import STAGES

API_VERSION = "1.0.0"


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


_SITUATION_ID = {"name": "situation_id", "in": "path", "required": True,
                 "description": "The situation's id (from a list or a create answer).",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}


def _responses() -> dict[str, Any]:
    error = ref("Error")
    return {
        "BadRequest": _json(error, "Bad input: malformed JSON, a wrong type, a missing or "
                                   "unknown field, an unknown code. `field` names it."),
        "Unauthorized": _json(error, "No token, a malformed Authorization header, or an "
                                     "unknown, revoked or expired token."),
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


def _situation_paths() -> dict[str, Any]:
    status = {"200": _json(ref("SituationStatus"), "The situation's status.")}
    return {
        "/situations": {
            "get": _operation(
                "listSituations", "Situations my agency presented, leads, assists or was "
                "granted, newest first.",
                {"200": _json(ref("SituationList"), "My agency's situations.")}, "BadRequest",
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
                {"201": {**_json(ref("SituationStatus"), "Created."),
                         "headers": {"Location": {"schema": {"type": "string"},
                                                  "description": "The new situation's URL."}}},
                 "200": _json(ref("SituationStatus"), "A retry with an Idempotency-Key "
                              "already used by my agency: the situation it made.")},
                "BadRequest", "Forbidden", "Conflict", "RuleRefusal",
                parameters=[IDEMPOTENCY_KEY],
                requestBody={"required": True, "content": {
                    "application/json": {"schema": ref("SituationDraft")}}}),
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
                    "application/json": {"schema": ref("SubmitRequest")}}}),
        },
    }


def _other_paths() -> dict[str, Any]:
    return {
        "/tasks": {
            "get": _operation("listTasks", "My agency's open tasks, soonest due first.",
                              {"200": _json(ref("TaskList"), "Open tasks.")}),
        },
        "/rounds": {
            "get": _operation("listRounds", "Open decision rounds at my agency's tables.",
                              {"200": _json(ref("RoundList"), "Open rounds.")}),
        },
        "/rounds/{round_id}/answers": {
            "parameters": [{"name": "round_id", "in": "path", "required": True,
                            "schema": {"type": "integer"}}],
            "post": _operation(
                "answerRound", "My agency's view of one situation in a decision round "
                "(it may change until the round closes).",
                {"200": _json(ref("RoundAnswer"), "Recorded.")},
                "BadRequest", "Forbidden", "NotFound", "Conflict",
                requestBody={"required": True, "content": {
                    "application/json": {"schema": ref("RoundAnswerRequest")}}}),
        },
        "/situations/{situation_id}/follow-up": {
            "parameters": [_SITUATION_ID],
            "post": _operation(
                "recordFollowUp", "After a closure with risk lowered: did it stay lowered?",
                {"200": _json(ref("FollowUp"), "Recorded.")},
                "BadRequest", "Forbidden", "NotFound",
                requestBody={"required": True, "content": {
                    "application/json": {"schema": ref("FollowUpRequest")}}}),
        },
        "/reference": {
            "get": _operation("getReference", "The risk-factor taxonomy and the code lists, "
                              "with English and Vietnamese labels.",
                              {"200": _json(ref("Reference"), "The reference data.")}),
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
        "paths": {**_situation_paths(), **_other_paths()},
        "components": {
            "securitySchemes": {"agencyToken": {
                "type": "http", "scheme": "bearer",
                "description": "The agency's API token (`hubtable demo` prints the demo "
                               "agencies' tokens): `Authorization: Bearer TOKEN`."}},
            "schemas": schemas(),
            "responses": _responses(),
        },
    }


@bp.get("/openapi.json")
def get_openapi() -> Response:
    return jsonify(document())
