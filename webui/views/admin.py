"""The administrator: tables and their schedules, agencies, users and roles, rule packs.

An administrator manages the installation and never sees a situation or an identity; every
view here asks workflow.access for the directory or rules permission first.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from webui.unit import reading, unit
from webui.values import bounded_int
from webui.views.common import FORM, agency_choice, chosen_ids, errors_of
from workflow import access, administration, directory_admin, queries
from workflow.errors import DomainError, NotFound, PackRefused
from workflow.models import ROLES, Agency, RulePackRecord, Table, TableMembership, User

bp = Blueprint("admin", __name__, url_prefix="/admin")
WEEKDAYS = range(7)


@bp.route("")
@login_required
def index() -> ResponseReturnValue:
    with reading() as (s, actor):
        access.require_permission(actor, "directory.manage")
        counts = {
            "tables": len(s.scalars(select(Table.id)).all()),
            "agencies": len(s.scalars(select(Agency.id)).all()),
            "users": len(s.scalars(select(User.id)).all()),
            "packs": len(administration.available_packs(s)),
        }
        return render_template("admin/index.html", counts=counts)


# -- tables -----------------------------------------------------------------------------------
def _tables_page(errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    with reading() as (s, actor):
        access.require_permission(actor, "directory.manage")
        tables = s.scalars(select(Table).order_by(Table.name)).all()
        return render_template("admin/tables.html", tables=tables, errors=errors,
                               weekdays=WEEKDAYS), status


@bp.route("/tables", methods=["GET", "POST"])
@login_required
def tables() -> ResponseReturnValue:
    if request.method == "GET":
        return _tables_page({})
    f = request.form
    errors: dict[str, str] = {}
    weekday = bounded_int(f.get("meeting_weekday", ""), high=6)
    if weekday is None:
        errors["meeting_weekday"] = _("Choose a weekday.")
    if not f.get("name", "").strip():
        errors["name"] = _("Give the table a name.")
    if errors:
        return _tables_page(errors, 400)
    try:
        with unit() as (s, actor):
            directory_admin.add_table(
                s, actor, code=f.get("code", "").strip(), name=f.get("name", "").strip(),
                country=f.get("country", "").strip().upper(),
                subdivision=f.get("subdivision", "").strip().upper() or None,
                language=f.get("language", "en"), timezone=f.get("timezone", "UTC").strip(),
                meeting_weekday=weekday or 0, meeting_time=f.get("meeting_time", "").strip(),
                meeting_place=f.get("meeting_place", "").strip(),
                region=f.get("region", "").strip())
    except DomainError as exc:
        return _tables_page(errors_of(exc), 400)
    flash(_("Table created."), "success")
    return redirect(url_for("admin.tables"))


def _table_page(table_id: int, errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    with reading() as (s, actor):
        access.require_permission(actor, "directory.manage")
        table = s.get(Table, table_id)
        if table is None:
            raise NotFound(f"no table {table_id}")
        return render_template("admin/table.html", t=table, errors=errors, weekdays=WEEKDAYS,
                               packs=administration.available_packs(s),
                               members=queries.table_agencies(s, table.id)), status


@bp.route("/tables/<int:table_id>", methods=["GET", "POST"])
@login_required
def table(table_id: int) -> ResponseReturnValue:
    if request.method == "GET":
        return _table_page(table_id, {})
    f = request.form
    try:
        with unit() as (s, actor):
            if f.get("form") == "pack":
                name, _sep, version = f.get("rule_pack", "").partition("@")
                administration.select_rule_pack(s, actor, table_id, name, version)
                message = _("Active rule pack changed.")
            else:
                weekday = bounded_int(f.get("meeting_weekday", ""), high=6)
                if weekday is None:
                    raise DomainError(_("Choose a weekday."), field="meeting_weekday")
                administration.update_schedule(
                    s, actor, table_id, weekday=weekday,
                    time=f.get("meeting_time", "").strip(),
                    place=f.get("meeting_place", ""),
                    timezone=f.get("timezone", "").strip() or None)
                message = _("Meeting schedule saved.")
    except DomainError as exc:
        return _table_page(table_id, errors_of(exc), 400)
    flash(message, "success")
    return redirect(url_for("admin.table", table_id=table_id))


# -- agencies ---------------------------------------------------------------------------------
def _agencies_page(errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    with reading() as (s, actor):
        access.require_permission(actor, "directory.manage")
        agencies = s.scalars(select(Agency).order_by(Agency.name)).all()
        memberships: dict[int, list[str]] = {}
        for agency_id, code in s.execute(select(TableMembership.agency_id, Table.code).join(
                Table, Table.id == TableMembership.table_id)):
            memberships.setdefault(agency_id, []).append(code)
        tables = s.scalars(select(Table).order_by(Table.name)).all()
        return render_template("admin/agencies.html", agencies=agencies, tables=tables,
                               memberships=memberships, errors=errors), status


@bp.route("/agencies", methods=["GET", "POST"])
@login_required
def agencies() -> ResponseReturnValue:
    if request.method == "GET":
        return _agencies_page({})
    f = request.form
    errors: dict[str, str] = {}
    if not f.get("name", "").strip():
        errors["name"] = _("Give the agency a name.")
    table_ids = chosen_ids("table_ids", errors)
    if errors:
        return _agencies_page(errors, 400)
    try:
        with unit() as (s, actor):
            directory_admin.add_agency(
                s, actor, slug=f.get("slug", "").strip(), name=f.get("name", "").strip(),
                sector=f.get("sector", ""), contact_email=f.get("contact_email", "").strip(),
                language=f.get("language", "en"), table_ids=table_ids)
    except DomainError as exc:
        return _agencies_page(errors_of(exc), 400)
    flash(_("Agency created."), "success")
    return redirect(url_for("admin.agencies"))


# -- users ------------------------------------------------------------------------------------
def _users_page(errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    with reading() as (s, actor):
        access.require_permission(actor, "directory.manage")
        users = s.scalars(select(User).order_by(User.email)).all()
        agencies = s.scalars(select(Agency).order_by(Agency.name)).all()
        tables = s.scalars(select(Table).order_by(Table.name)).all()
        names = {a.id: a.name for a in agencies}
        return render_template("admin/users.html", users=users, agencies=agencies,
                               names=names, tables=tables, roles=ROLES, errors=errors), status


@bp.route("/users", methods=["GET", "POST"])
@login_required
def users() -> ResponseReturnValue:
    if request.method == "GET":
        return _users_page({})
    f = request.form
    errors: dict[str, str] = {}
    agency_id = agency_choice(errors)
    table_ids = chosen_ids("table_ids", errors)
    if errors:
        return _users_page(errors, 400)
    try:
        with unit() as (s, actor):
            directory_admin.add_user(
                s, actor, email=f.get("email", ""), display_name=f.get("display_name", ""),
                password=f.get("password", ""), role=f.get("role", ""), agency_id=agency_id,
                table_ids=table_ids, language=f.get("language", "en"))
    except DomainError as exc:
        return _users_page(errors_of(exc), 400)
    flash(_("User created."), "success")
    return redirect(url_for("admin.users"))


# -- rule packs -------------------------------------------------------------------------------
def _packs_page(errors: dict[str, str], problems: list[str] | None = None,
                status: int = 200) -> ResponseReturnValue:
    with reading() as (s, actor):
        access.require_permission(actor, "rules.manage")
        installed = s.scalars(select(RulePackRecord).order_by(
            RulePackRecord.name, RulePackRecord.installed_at)).all()
        tables = s.scalars(select(Table).order_by(Table.name)).all()
        return render_template("admin/rules.html", installed=installed, tables=tables,
                               errors=errors, problems=problems or []), status


@bp.route("/rules", methods=["GET", "POST"])
@login_required
def rules() -> ResponseReturnValue:
    """Upload a pack: it is validated like `hubtable rules check`, and every problem is shown."""
    if request.method == "GET":
        return _packs_page({})
    upload = request.files.get("pack_file")
    source = request.form.get("pack_text", "")
    name = "pasted pack"
    if upload is not None and upload.filename:
        name = upload.filename
        try:
            source = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            return _packs_page({"pack": _("The file is not UTF-8 text.")}, status=400)
    if not source.strip():
        return _packs_page({"pack": _("Choose a pack file or paste its YAML.")}, status=400)
    try:
        with unit() as (s, actor):
            row = administration.install_rule_pack(s, actor, source, source_name=name)
            installed = f"{row.name} {row.version}"
    except PackRefused as exc:
        return _packs_page({FORM: _("The pack was not installed: fix every problem below.")},
                           exc.problems, status=400)
    except DomainError as exc:
        return _packs_page(errors_of(exc), status=400)
    flash(_("Rule pack %(pack)s installed. Select it on a table to use it.", pack=installed),
          "success")
    return redirect(url_for("admin.rules"))
