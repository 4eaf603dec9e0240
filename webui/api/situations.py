"""Situations through the API: draft (and submit) a de-identified situation, submit a draft,
read one's status, list the agency's own.

A POST /situations may carry an `Idempotency-Key` header: a retry with the same key makes no
second situation but answers with the first (200 instead of 201), even when both run at once
(workflow.form_tokens: the token table's key settles it).

Each view is one transaction acting as the calling agency; the core decides everything (access,
validation, the rule pack's guards) and the view only translates JSON in and out. With
`"submit": true`, drafting and submitting are one transaction: if the table's rules refuse the
submission, no draft is left behind and the client can correct and send the same body again.
"""

from __future__ import annotations

from flask import Response, jsonify, request, url_for

from webui.api import body
from webui.api.auth import as_agency
from webui.api.blueprint import bp
from webui.api.errors import ApiError
from webui.api.present import situation_status
from webui.unit import runtime
from workflow import access, form_tokens, situations
from workflow.agency_queries import (
    find_table,
    situations_of_agency,
    upcoming_meeting,
    upcoming_meetings,
)
from workflow.linkage.commands import check_at_filter1

#: Situations per page of GET /situations, unless the client asks for another `limit`.
PAGE = 100
MAX_PAGE = 500


@bp.post("/situations")
def create_situation() -> tuple[Response, int, dict[str, str]]:
    key = _idempotency_key()
    try:
        with as_agency() as (session, actor):
            wanted = body.draft_request(body.json_object())
            table = find_table(session, wanted.table)
            situation = situations.draft(session, actor, table.id, wanted.facts, form_token=key)
            check_at_filter1(session, runtime().vault.linkage_key(), actor, situation,
                             *wanted.earlier_check)
            if wanted.submit:
                situations.submit(session, actor, situation.id)
            session.flush()
            answer = situation_status(situation, actor.agency_id or 0,
                                      upcoming_meeting(session, situation))
    except Exception as exc:
        if key is None or not form_tokens.clashed(exc, key):
            raise
        return _created_before(key)
    location = url_for("api.get_situation", situation_id=answer["id"])
    return jsonify(answer), 201, {"Location": location}


#: The header of a retry-safe POST /situations (the common convention; also the OpenAPI's).
IDEMPOTENCY_KEY = "Idempotency-Key"


def _idempotency_key() -> str | None:
    """The request's Idempotency-Key, if it sent one: a retry with it makes no second one."""
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is None:
        return None
    if not form_tokens.valid(key):
        raise ApiError(400, "the Idempotency-Key header must be 8 to 64 letters, digits, "
                       "'-' or '_'", field=IDEMPOTENCY_KEY)
    return key


def _created_before(key: str) -> tuple[Response, int, dict[str, str]]:
    """A retry: the situation the first request with this key made, answered as then (200)."""
    with as_agency() as (session, actor):
        try:
            situation_id = form_tokens.drafted_with(session, actor, key)
        except form_tokens.TokenUsed:
            raise ApiError(409, "this Idempotency-Key was already used by another agency: "
                           "send a new key", field=IDEMPOTENCY_KEY) from None
        if situation_id is None:
            raise ApiError(409, "a request with this Idempotency-Key failed at the same "
                           "time: send it again", field=IDEMPOTENCY_KEY)
        situation = access.load_visible_situation(session, actor, situation_id)
        answer = situation_status(situation, actor.agency_id or 0,
                                  upcoming_meeting(session, situation))
    location = url_for("api.get_situation", situation_id=answer["id"])
    return jsonify(answer), 200, {"Location": location}


@bp.post("/situations/<int:situation_id>/submit")
def submit_situation(situation_id: int) -> Response:
    with as_agency() as (session, actor):
        version = body.expected_version(body.json_object(allow_empty=True))
        situation = situations.submit(session, actor, situation_id, expected_version=version)
        session.flush()
        answer = situation_status(situation, actor.agency_id or 0,
                                  upcoming_meeting(session, situation))
    return jsonify(answer)


@bp.get("/situations/<int:situation_id>")
def get_situation(situation_id: int) -> Response:
    with as_agency() as (session, actor):
        situation = access.load_visible_situation(session, actor, situation_id)
        answer = situation_status(situation, actor.agency_id or 0,
                                  upcoming_meeting(session, situation))
    return jsonify(answer)


@bp.get("/situations")
def list_situations() -> Response:
    with as_agency() as (session, actor):
        stage = request.args.get("stage")  # present but empty is refused, as the schema says
        limit = body.query_int("limit", default=PAGE, low=1, high=MAX_PAGE)
        offset = body.query_int("offset", default=0, low=0)
        found = situations_of_agency(session, actor.agency_id or 0, stage=stage,
                                     limit=limit + 1, offset=offset)
        page, more = found[:limit], len(found) > limit
        meetings = upcoming_meetings(session, page)
        answer = [situation_status(s, actor.agency_id or 0, meetings[s.id]) for s in page]
    return jsonify(situations=answer, count=len(answer),
                   next_offset=offset + limit if more else None)
