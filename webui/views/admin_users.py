"""One user, administered: role, agency, tables, active. Never their access to identity.

Moving a user to another agency or role takes that access away until the agency confirms
them again (workflow.directory_admin); the page says so, and the agency is told.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from webui.unit import reading, unit
from webui.views.common import agency_choice, chosen_ids, errors_of, yes_no
from workflow import access, directory_admin
from workflow.errors import DomainError, NotFound
from workflow.models import ROLES, Agency, Table, User

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")


def _page(user_id: int, errors: dict[str, str], status: int = 200) -> tuple[str, int]:
    with reading() as (s, actor):
        access.require_permission(actor, "directory.manage")
        user = s.get(User, user_id)
        if user is None:
            raise NotFound(_("No such user."))
        agencies = s.scalars(select(Agency).order_by(Agency.name)).all()
        tables = s.scalars(select(Table).order_by(Table.name)).all()
        return render_template("admin/user.html", u=user, agencies=agencies, tables=tables,
                               roles=ROLES, errors=errors), status


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@login_required
def edit(user_id: int) -> tuple[str, int] | Response:
    if request.method == "GET":
        return _page(user_id, {})
    errors: dict[str, str] = {}
    agency_id = agency_choice(errors)
    table_ids = chosen_ids("table_ids", errors)
    active = yes_no("active")  # two radio buttons, one always ticked: never missing
    if active is None:
        errors["active"] = _("Say whether the user may sign in.")
    if errors:
        return _page(user_id, errors, 400)
    try:
        with unit() as (s, actor):
            directory_admin.update_user(
                s, actor, user_id, role=request.form.get("role", ""), agency_id=agency_id,
                active=active, table_ids=table_ids)
    except DomainError as exc:
        return _page(user_id, errors_of(exc), 400)
    flash(_("User updated. A user moved to another agency or role reads identity again only "
            "once that agency confirms them."), "success")
    return redirect(url_for("admin.users"))
