"""The landing page after sign-in: each role starts where its work is."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from webui.unit import reading
from workflow import access

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    with reading() as (s, actor):
        if access.has_permission(actor, "meeting.run"):
            return redirect(url_for("dashboard.index"))
        if access.has_permission(actor, "situation.view"):
            return redirect(url_for("agency.home"))
        if access.has_permission(actor, "directory.manage"):
            return redirect(url_for("admin.index"))
    return render_template("home.html", user=current_user)
