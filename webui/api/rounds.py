"""Decision rounds and follow-ups through the API: the calling agency answers a round, lists
the rounds waiting on it, and says whether a closure's lowered risk held. The core decides."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from webui.api import body
from webui.api.auth import as_agency
from webui.api.blueprint import bp
from workflow import follow_up, round_views, rounds
from workflow.errors import ValidationError


def _bool(data: dict[str, Any], name: str, *, required: bool = False) -> bool:
    value = data.get(name)
    if value is None and not required:
        return False
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be true or false", field=name)
    return value


@bp.get("/rounds")
def list_rounds() -> Response:
    with as_agency() as (session, actor):
        found = [{"id": r.id, "closes_at": r.closes_at.isoformat(),
                  "situation_ids": [i.situation_id for i in r.items],
                  "answered": sorted({a.situation_id for a in r.answers
                                      if a.agency_id == actor.agency_id})}
                 for r in round_views.open_rounds_for(session, actor)]
    return jsonify(rounds=found, count=len(found))


@bp.post("/rounds/<int:round_id>/answers")
def answer_round(round_id: int) -> Response:
    with as_agency() as (session, actor):
        data = body.json_object()
        situation_id = data.get("situation_id")
        if not isinstance(situation_id, int) or isinstance(situation_id, bool):
            raise ValidationError("situation_id must be an integer", field="situation_id")
        contributes = data.get("contributes", [])
        if not isinstance(contributes, list) or not all(isinstance(c, str) for c in contributes):
            raise ValidationError("contributes must be a list of service codes",
                                  field="contributes")
        row = rounds.answer(session, actor, round_id, situation_id,
                            aer=_bool(data, "aer", required=True), contributes=contributes,
                            needed_at_filter_3=_bool(data, "needed_at_filter_3"))
        session.flush()
        round_ = rounds.round_of(session, round_id)
        answer = {"round_id": round_id, "situation_id": situation_id, "aer": row.aer,
                  "contributes": list(row.contributes),
                  "needed_at_filter_3": row.needed_at_filter_3,
                  "answered_at": row.answered_at.isoformat(), "round_status": round_.status}
    return jsonify(answer)


@bp.post("/situations/<int:situation_id>/follow-up")
def record_follow_up(situation_id: int) -> Response:
    with as_agency() as (session, actor):
        data = body.json_object()
        answer = data.get("answer")
        if not isinstance(answer, str):
            raise ValidationError("answer must be yes, no, re_presented or not_known",
                                  field="answer")
        row, again = follow_up.record(session, actor, situation_id, answer,
                                      re_present=_bool(data, "re_present"))
        session.flush()
        result = {"situation_id": situation_id, "answer": row.answer,
                  "answered_at": row.answered_at.isoformat() if row.answered_at else None,
                  "re_presented_as": again.id if again is not None else None}
    return jsonify(result)
