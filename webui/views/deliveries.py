"""Failing and dead notification deliveries, for administrators, with requeue.

"ok" must never hide a failing channel: this page lists what is retrying (failed) and what
gave up (dead), with the error each last met, and puts dead ones back in the queue.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from webui.unit import reading, unit
from workflow import deliveries

bp = Blueprint("deliveries", __name__, url_prefix="/admin/deliveries")


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    with reading() as (s, actor):
        failing = deliveries.list_dead(s, actor, limit=200, statuses=("failed", "dead"))
        counts = deliveries.delivery_counts(s)
    return render_template("deliveries/index.html", failing=failing, counts=counts)


@bp.route("/requeue", methods=["POST"])
@login_required
def requeue() -> ResponseReturnValue:
    raw = request.form.getlist("delivery_id")
    if any(not value.isdigit() for value in raw):
        return redirect(url_for("deliveries.index")), 303
    ids = [int(value) for value in raw] or None
    with unit() as (s, actor):
        count = deliveries.requeue_dead(s, actor, ids=ids)
    flash(_("%(count)d deliveries put back in the queue.", count=count))
    return redirect(url_for("deliveries.index"), 303)
