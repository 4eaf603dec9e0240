"""One agency, administered: the tables it sits at, its contact address and language, and
whether it is active. Never its situations: the page gives only a count of its open work.

Deactivating an agency signs its users out and keeps them out until it is active again
(workflow.directory_admin.update_agency); when it leads or assists open situations the page
says how many and asks the administrator to tick that they understand, without a script.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from webui.unit import reading, unit
from webui.views.common import chosen_ids, errors_of, yes_no
from workflow import access, directory_admin
from workflow.errors import DomainError, NotFound
from workflow.models import Agency, Table

bp = Blueprint("admin_agencies", __name__, url_prefix="/admin/agencies")


def _page(agency_id: int, errors: dict[str, str], status: int = 200) -> tuple[str, int]:
    with reading() as (s, actor):
        access.require_permission(actor, "directory.manage")
        agency = s.get(Agency, agency_id)
        if agency is None:
            raise NotFound(_("No such agency."))
        tables = s.scalars(select(Table).order_by(Table.name)).all()
        return render_template(
            "admin/agency.html", a=agency, tables=tables, errors=errors,
            sits_at=[m.table_id for m in agency.memberships],
            open_work=directory_admin.open_situations_of(s, actor, agency.id)), status


@bp.route("/<int:agency_id>", methods=["GET", "POST"])
@login_required
def edit(agency_id: int) -> tuple[str, int] | Response:
    if request.method == "GET":
        return _page(agency_id, {})
    f = request.form
    errors: dict[str, str] = {}
    # The ticks count only when the group was on the form: a post without it keeps the tables.
    table_ids = chosen_ids("table_ids", errors) if "table_ids-shown" in f else None
    active = yes_no("active")  # two radio buttons, one always ticked: never missing
    if active is None:
        errors["active"] = _("Say whether the agency is active.")
    if errors or active is None:
        return _page(agency_id, errors, 400)
    try:
        with unit() as (s, actor):
            agency = s.get(Agency, agency_id)
            was_active = agency.active if agency is not None else None
            directory_admin.update_agency(
                s, actor, agency_id, contact_email=f.get("contact_email", "").strip(),
                language=f.get("language", ""), active=active,
                open_work_understood="yes" in f.getlist("open_work_understood"))
            if table_ids is not None:
                directory_admin.set_memberships(s, actor, agency_id, table_ids)
    except DomainError as exc:
        return _page(agency_id, errors_of(exc), 400)
    flash(_said(was_active, active), "success")
    return redirect(url_for("admin.agencies"))


def _said(was_active: bool | None, active: bool) -> str:
    """What the administrator did, in the words of its consequence for the agency's users."""
    if was_active and not active:
        return _("Agency deactivated: its users are signed out and cannot sign in until it is "
                 "active again.")
    if was_active is False and active:
        return _("Agency active again: its users may sign in.")
    return _("Agency updated.")
