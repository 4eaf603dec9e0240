"""The in-app inbox: notifications the dispatcher left for the signed-in user (titles, links)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from webui.unit import reading, unit
from workflow import inbox

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    unread_only = request.args.get("unread") == "1"
    with reading() as (s, actor):
        items = inbox.list_items(s, actor, unread_only=unread_only, limit=100)
        unread = inbox.unread_count(s, actor)
        return render_template("inbox.html", items=items, unread=unread, unread_only=unread_only)


@bp.route("/<int:item_id>/read", methods=["POST"])
@login_required
def read(item_id: int) -> ResponseReturnValue:
    with unit() as (s, actor):
        item = inbox.mark_read(s, actor, item_id)
        link = item.link
    if link.startswith("/") and not link.startswith("//") and request.form.get("open") == "1":
        return redirect(link)
    return redirect(url_for("inbox.index"))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all() -> ResponseReturnValue:
    with unit() as (s, actor):
        inbox.mark_all_read(s, actor)
    return redirect(url_for("inbox.index"))
