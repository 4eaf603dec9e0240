"""Decision rounds between meetings (chairs open them and read the minutes; member agencies
answer) and the follow-up form after closure. The core decides; these views only carry."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from webui.unit import reading, unit
from webui.values import bounded_int
from webui.views.common import FORM, errors_of, int_list, refusal_of
from workflow import access, equity, follow_up, round_views, rounds
from workflow.errors import DomainError
from workflow.models import utcnow

bp = Blueprint("rounds", __name__)


@bp.route("/rounds")
@login_required
def index() -> ResponseReturnValue:
    return _rounds_page({})


def _rounds_page(errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    """The rounds page; `errors` are keyed by the id of the control on the page they are
    about (the open form's fields, or `aer-ROUND-SITUATION` in one answer form)."""
    with reading() as (s, actor):
        chair_tables = [t for t in access.table_ids_in_scope(s, actor)
                        if access.chairs_table(s, actor, t)]
        mine = [r for t in chair_tables for r in round_views.rounds_of_table(s, actor, t)]
        waiting = [(r, rounds.asked_of(s, actor, r)) for r in round_views.open_rounds_for(s, actor)]
        shown = {f"aer-{r.id}-{it.situation_id}" for r, items in waiting for it in items}
        errors = {k if k in shown | {"situation_ids", "hours"} else FORM: v
                  for k, v in errors.items()}
        return render_template("rounds/index.html", decidable=rounds.decidable_for(s, actor),
                               mine=mine, waiting=[w for w in waiting if w[1]],
                               zones=round_views.zones_of(s, mine + [r for r, _items in waiting]),
                               is_chair=bool(chair_tables), errors=errors), status


#: The longest round the core allows (workflow.rounds: 14 days), so that a number of hours
#: no calendar holds is refused here as a field error, not as an overflow.
_MAX_HOURS = 14 * 24


@bp.route("/rounds", methods=["POST"])
@login_required
def open_round() -> ResponseReturnValue:
    ids = int_list("situation_ids")
    hours = request.form.get("hours", "").strip()
    closes_at = None
    if hours:
        length = bounded_int(hours, low=1, high=_MAX_HOURS)
        if length is None:
            return _rounds_page({"hours": _("Give the round's length in whole hours, from 1 "
                                            "to %(most)s.", most=_MAX_HOURS)}, 400)
        closes_at = utcnow() + timedelta(hours=length)
    try:
        with unit() as (s, actor):
            rounds.open_round(s, actor, ids, closes_at=closes_at)
    except DomainError as exc:
        return _rounds_page(errors_of(exc, fields={"closes_at": "hours"},
                                      at="situation_ids", known=("situation_ids", "hours")), 400)
    flash(_("Decision round opened; the member agencies are told."), "success")
    return redirect(url_for("rounds.index"))


@bp.route("/rounds/<int:round_id>/answers/<int:situation_id>", methods=["POST"])
@login_required
def answer(round_id: int, situation_id: int) -> ResponseReturnValue:
    here = f"aer-{round_id}-{situation_id}"
    aer = request.form.get("aer")
    if aer not in ("yes", "no"):
        return _rounds_page({here: _("Say whether your agency sees acutely elevated risk.")},
                            400)
    try:
        with unit() as (s, actor):
            rounds.answer(s, actor, round_id, situation_id, aer=aer == "yes",
                          contributes=request.form.getlist("contributes"),
                          needed_at_filter_3=request.form.get("needed_at_filter_3") == "yes")
    except DomainError as exc:
        return _rounds_page({here: refusal_of(exc)}, 400)
    flash(_("Your agency's view is recorded."), "success")
    return redirect(url_for("rounds.index"))


@bp.route("/rounds/<int:round_id>")
@login_required
def minutes(round_id: int) -> ResponseReturnValue:
    with reading() as (s, actor):
        return render_template("rounds/minutes.html", rm=round_views.minutes(s, actor, round_id),
                               outcome_labels=rounds.OUTCOME_LABELS)


@bp.route("/follow-ups")
@login_required
def follow_ups() -> ResponseReturnValue:
    return _follow_ups_page({})


def _follow_ups_page(errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    with reading() as (s, actor):
        pending = follow_up.pending_for(s, actor)
        shown = {f"answer-{f.situation_id}" for f in pending}
        errors = {k if k in shown else FORM: v for k, v in errors.items()}
        return render_template("rounds/follow_ups.html", pending=pending,
                               refs=follow_up.refs_of(s, pending), errors=errors,
                               re_presentable=follow_up.re_presentable(s, actor, pending)
                               ), status


@bp.route("/follow-ups/<int:situation_id>", methods=["POST"])
@login_required
def record_follow_up(situation_id: int) -> ResponseReturnValue:
    try:
        with unit() as (s, actor):
            follow_up.record(s, actor, situation_id, request.form.get("answer", ""),
                             re_present=request.form.get("re_present") == "yes")
    except DomainError as exc:
        return _follow_ups_page({f"answer-{situation_id}": refusal_of(exc)}, 400)
    flash(_("Follow-up recorded."), "success")
    return redirect(url_for("rounds.follow_ups"))


@bp.route("/situations/<int:situation_id>/equity", methods=["GET", "POST"])
@login_required
def equity_answers(situation_id: int) -> ResponseReturnValue:
    """Optional self-identified answers, with consent; the presenting agency's own page."""
    if request.method == "POST":
        try:
            with unit() as (s, actor):
                equity.record(s, actor, situation_id,
                              {dim: request.form.get(dim) or None for dim in equity.DIMENSIONS},
                              consent=request.form.get("consent") == "yes")
        except DomainError as exc:
            return _equity_page(situation_id, errors_of(
                exc, fields={"equity_consent": "eq-consent",
                             **{dim: f"eq-{dim}" for dim in equity.DIMENSIONS}}), 400)
        flash(_("Recorded."), "success")
        return redirect(url_for("rounds.equity_answers", situation_id=situation_id))
    return _equity_page(situation_id, {})


def _equity_page(situation_id: int, errors: dict[str, str],
                 status: int = 200) -> ResponseReturnValue:
    with reading() as (s, actor):
        given = {a.dimension: a.value for a in equity.mine(s, actor, situation_id)}
        if request.method == "POST":  # what was chosen stays chosen when the form comes back
            given = {dim: request.form.get(dim) or "" for dim in equity.DIMENSIONS}
        lang = "vi" if (getattr(actor, "language", "en") == "vi") else "en"
        questions = [(dim, equity.DIMENSION_LABELS[dim][lang == "vi"],
                      [(code, equity.label(dim, code, lang)) for code in values])
                     for dim, values in equity.DIMENSIONS.items()]
        return render_template("rounds/equity.html", situation_id=situation_id,
                               questions=questions, given=given, errors=errors,
                               consented=request.form.get("consent") == "yes"), status
