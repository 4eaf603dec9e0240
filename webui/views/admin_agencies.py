"""One agency, administered: the tables it sits at, its contact address and language,
whether it is active, and the API tokens its own systems call with. Never its situations: the
page gives only a count of its open work.

Deactivating an agency signs its users out and keeps them out until it is active again
(workflow.directory_admin.update_agency); when it leads or assists open situations the page
says how many and asks the administrator to tick that they understand, without a script.

A new token is shown once, in the page that answers its POST, and nowhere else: not flashed
(the session cookie is only signed, not encrypted), not in a URL, not logged, not cached.
"""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from webui.unit import reading, unit
from webui.values import bounded_int
from webui.views.common import chosen_ids, errors_of, yes_no
from workflow import access, api_tokens, directory_admin
from workflow.errors import DomainError, NotFound
from workflow.models import Agency, Table

bp = Blueprint("admin_agencies", __name__, url_prefix="/admin/agencies")


def _page(agency_id: int, errors: dict[str, str], status: int = 200,
          issued: str | None = None) -> tuple[str, int]:
    """The agency's page; `issued` is a token just issued, shown this once."""
    with reading() as (s, actor):
        access.require_permission(actor, "directory.manage")
        agency = s.get(Agency, agency_id)
        if agency is None:
            raise NotFound(_("No such agency."))
        tables = s.scalars(select(Table).order_by(Table.name)).all()
        return render_template(
            "admin/agency.html", a=agency, tables=tables, errors=errors,
            sits_at=[m.table_id for m in agency.memberships],
            open_work=directory_admin.open_situations_of(s, actor, agency.id),
            tokens=api_tokens.tokens(s, agency, actor=actor), issued=issued,
            default_days=api_tokens.DEFAULT_DAYS, max_days=api_tokens.MAX_DAYS,
            label_limit=api_tokens.LABEL_LIMIT), status


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


@bp.route("/<int:agency_id>/tokens", methods=["POST"])
@login_required
def issue_token(agency_id: int) -> Response:
    """Issue a token and answer with the page that shows it, this once (never a redirect:
    the token would have to wait in the session or a URL for the next page)."""
    days = bounded_int(request.form.get("token_days", ""), low=1, high=api_tokens.MAX_DAYS)
    if days is None:
        return _no_store(_page(agency_id, {"token_days": _(
            "Give the lifetime as a whole number of days from 1 to %(max)d.",
            max=api_tokens.MAX_DAYS)}, 400))
    try:
        with unit() as (s, actor):
            access.require_permission(actor, "directory.manage")  # before saying what exists
            agency = s.get(Agency, agency_id)
            if agency is None:
                raise NotFound(_("No such agency."))
            token = api_tokens.issue(s, agency, label=request.form.get("token_label", ""),
                                     days=days, actor=actor).token
    except DomainError as exc:
        return _no_store(_page(agency_id, errors_of(
            exc, fields={"label": "token_label", "days": "token_days"}, at="new_token",
            known=("token_label", "token_days")), 400))
    return _no_store(_page(agency_id, {}, issued=token))


def _no_store(page: tuple[str, int]) -> Response:
    """A page that may hold a token stays out of every cache and the browser's history store
    (security.py says so for every page today; this one must not depend on it)."""
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:agency_id>/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(agency_id: int, token_id: int) -> Response:
    """Revoke one of this agency's tokens; another agency's token is not found here (404)."""
    with unit() as (s, actor):
        revoked_now = api_tokens.revoke(s, token_id, actor=actor, agency_id=agency_id)[1]
    if revoked_now:
        flash(_("API token revoked: the API refuses it from now on."), "success")
    else:
        flash(_("That API token was already revoked."), "info")
    return redirect(url_for("admin_agencies.edit", agency_id=agency_id, _anchor="tokens"), 303)
