"""The Mail page: what the local mail sink kept, for administrators (issue 18).

When no SMTP server is configured, `hubtable up` keeps every message it sends in the data dir;
this page lists them and shows one as sent: its headers, its text part and its HTML part as
source (escaped, never rendered: the page's CSP stays as strict as everywhere else).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from webui.unit import reading
from workflow import access, kept_mail

bp = Blueprint("mail", __name__, url_prefix="/admin/mail")


def _directory() -> Path:
    return kept_mail.mail_dir(current_app.config["HUBTABLE_SETTINGS"].data_dir)


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    with reading() as (_s, actor):
        access.require_permission(actor, "notifications.manage")
    directory = _directory()
    return render_template("mail/index.html", messages=kept_mail.list_mail(directory),
                           total=kept_mail.count(directory))


@bp.route("/<int:number>")
@login_required
def show(number: int) -> ResponseReturnValue:
    with reading() as (_s, actor):
        access.require_permission(actor, "notifications.manage")
    body = kept_mail.read_mail(_directory(), number)
    if body is None:
        abort(404)
    return render_template("mail/show.html", body=body)
