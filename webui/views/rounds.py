"""Decision rounds between meetings (chairs open them and read the minutes; member agencies
answer) and the follow-up form after closure. The core decides; these views only carry."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from webui.unit import reading, unit
from workflow import access, equity, follow_up, round_views, rounds
from workflow.errors import ValidationError
from workflow.models import utcnow

bp = Blueprint("rounds", __name__)


@bp.route("/rounds")
@login_required
def index() -> str:
    with reading() as (s, actor):
        chair_tables = [t for t in access.table_ids_in_scope(s, actor)
                        if access.chairs_table(s, actor, t)]
        mine = [r for t in chair_tables for r in round_views.rounds_of_table(s, actor, t)]
        waiting = [(r, rounds.asked_of(s, actor, r)) for r in round_views.open_rounds_for(s, actor)]
        return render_template("rounds/index.html", decidable=rounds.decidable_for(s, actor),
                               mine=mine, waiting=[w for w in waiting if w[1]],
                               is_chair=bool(chair_tables))


@bp.route("/rounds", methods=["POST"])
@login_required
def open_round() -> Response:
    ids = [int(v) for v in request.form.getlist("situation_ids") if v.isdigit()]
    hours = request.form.get("hours", "").strip()
    with unit() as (s, actor):
        closes_at = None
        if hours:
            try:
                closes_at = utcnow() + timedelta(hours=float(hours))
            except ValueError:
                raise ValidationError(_("Give the round's length in hours."),
                                      field="hours") from None
        rounds.open_round(s, actor, ids, closes_at=closes_at)
    flash(_("Decision round opened; the member agencies are told."), "success")
    return redirect(url_for("rounds.index"))


@bp.route("/rounds/<int:round_id>/answers/<int:situation_id>", methods=["POST"])
@login_required
def answer(round_id: int, situation_id: int) -> Response:
    aer = request.form.get("aer")
    if aer not in ("yes", "no"):
        raise ValidationError(_("Say whether your agency sees acutely elevated risk."),
                              field="aer")
    with unit() as (s, actor):
        rounds.answer(s, actor, round_id, situation_id, aer=aer == "yes",
                      contributes=request.form.getlist("contributes"),
                      needed_at_filter_3=request.form.get("needed_at_filter_3") == "yes")
    flash(_("Your agency's view is recorded."), "success")
    return redirect(url_for("rounds.index"))


@bp.route("/rounds/<int:round_id>")
@login_required
def minutes(round_id: int) -> str:
    with reading() as (s, actor):
        return render_template("rounds/minutes.html", rm=round_views.minutes(s, actor, round_id),
                               outcome_labels=rounds.OUTCOME_LABELS)


@bp.route("/follow-ups")
@login_required
def follow_ups() -> str:
    with reading() as (s, actor):
        pending = follow_up.pending_for(s, actor)
        refs = {f.situation_id: f.situation_id for f in pending}
        return render_template("rounds/follow_ups.html", pending=pending, refs=refs)


@bp.route("/follow-ups/<int:situation_id>", methods=["POST"])
@login_required
def record_follow_up(situation_id: int) -> Response:
    with unit() as (s, actor):
        follow_up.record(s, actor, situation_id, request.form.get("answer", ""),
                         re_present=request.form.get("re_present") == "yes")
    flash(_("Follow-up recorded."), "success")
    return redirect(url_for("rounds.follow_ups"))


@bp.route("/situations/<int:situation_id>/equity", methods=["GET", "POST"])
@login_required
def equity_answers(situation_id: int) -> str | Response:
    """Optional self-identified answers, with consent; the presenting agency's own page."""
    if request.method == "POST":
        with unit() as (s, actor):
            equity.record(s, actor, situation_id,
                          {dim: request.form.get(dim) or None for dim in equity.DIMENSIONS},
                          consent=request.form.get("consent") == "yes")
        flash(_("Recorded."), "success")
        return redirect(url_for("rounds.equity_answers", situation_id=situation_id))
    with reading() as (s, actor):
        given = {a.dimension: a.value for a in equity.mine(s, actor, situation_id)}
        lang = "vi" if (getattr(actor, "language", "en") == "vi") else "en"
        questions = [(dim, equity.DIMENSION_LABELS[dim][lang == "vi"],
                      [(code, equity.label(dim, code, lang)) for code in values])
                     for dim, values in equity.DIMENSIONS.items()]
        return render_template("rounds/equity.html", situation_id=situation_id,
                               questions=questions, given=given)
