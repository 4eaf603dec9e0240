"""Identity access, confirmed by the agency (or a chair), never by the administrator alone."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from webui.unit import reading, unit
from workflow import directory_admin

bp = Blueprint("confirmations", __name__, url_prefix="/confirmations")


@bp.route("")
@login_required
def index() -> str:
    with reading() as (s, actor):
        waiting = directory_admin.pending_confirmations(s, actor)
        names = {u.agency_id: u.agency.name if u.agency else "" for u in waiting}
        return render_template("confirmations.html", waiting=waiting, names=names)


@bp.route("/<int:user_id>", methods=["POST"])
@login_required
def confirm(user_id: int) -> Response:
    with unit() as (s, actor):
        directory_admin.confirm_identity_access(s, actor, user_id)
    flash(_("Confirmed: this colleague may now read identity where your agency is granted it."),
          "success")
    return redirect(url_for("confirmations.index"))
