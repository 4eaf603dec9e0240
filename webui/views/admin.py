"""The administrator: tables and their schedules, agencies, users and roles, rule packs.

An administrator manages the installation and never sees a situation or an identity; every
view here asks workflow.access for the directory or rules permission first.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from webui.unit import reading, unit
from webui.values import bounded_int
from webui.views.common import FORM, agency_choice, chosen_ids, errors_of
from workflow import access, administration, directory, directory_admin, queries
from workflow.errors import DomainError, NotFound, PackRefused
from workflow.models import ROLES, Agency, RulePackRecord, Table, TableMembership, User

bp = Blueprint("admin", __name__, url_prefix="/admin")
WEEKDAYS = range(7)
#: The bounds the core enforces (workflow.directory), said in the privacy form's hints.
PRIVACY_LIMITS = {"retention_max": directory.MAX_RETENTION_DAYS,
                  "threshold_min": directory.MIN_SMALL_CELL_THRESHOLD,
                  "threshold_max": directory.MAX_SMALL_CELL_THRESHOLD}


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
        due = 0
        if "confirm_due" in errors:  # the count the administrator is asked to confirm
            due = administration.identities_due_sooner(
                s, actor, table, bounded_int(request.form.get("retention_days", "")) or 0)
        return render_template("admin/table.html", t=table, errors=errors, weekdays=WEEKDAYS,
                               packs=administration.available_packs(s), due=due,
                               limits=PRIVACY_LIMITS,
                               members=queries.table_agencies(s, table.id)), status


def _privacy_input(form: Mapping[str, str]) -> tuple[int, int, dict[str, str]]:
    """The two numbers of the privacy form; each one not a whole number is its own error."""
    errors: dict[str, str] = {}
    retention = bounded_int(form.get("retention_days", ""))
    if retention is None:
        errors["retention_days"] = _("Give the retention period as a whole number of days.")
    threshold = bounded_int(form.get("small_cell_threshold", ""))
    if threshold is None:
        errors["small_cell_threshold"] = _("Give the small-cell threshold as a whole number.")
    return retention or 0, threshold or 0, errors


def _save_privacy(s: Session, actor: User, table_id: int, form: Mapping[str, str]) -> str:
    retention, threshold, _errors = _privacy_input(form)
    table = s.get(Table, table_id)
    before = (table.retention_days, table.small_cell_threshold) if table else None
    administration.update_privacy(
        s, actor, table_id, retention_days=retention, small_cell_threshold=threshold,
        confirmed_due=bounded_int(form.get("confirm_due", "")) or 0)
    if before == (retention, threshold):
        return _("The privacy settings are unchanged.")
    return _("Privacy settings saved.")


def _save_schedule(s: Session, actor: User, table_id: int, form: Mapping[str, str]) -> str:
    weekday = bounded_int(form.get("meeting_weekday", ""), high=6)
    if weekday is None:
        raise DomainError(_("Choose a weekday."), field="meeting_weekday")
    administration.update_schedule(
        s, actor, table_id, weekday=weekday, time=form.get("meeting_time", "").strip(),
        place=form.get("meeting_place", ""), timezone=form.get("timezone", "").strip() or None)
    return _("Meeting schedule saved.")


def _save_pack(s: Session, actor: User, table_id: int, form: Mapping[str, str]) -> str:
    name, _sep, version = form.get("rule_pack", "").partition("@")
    administration.select_rule_pack(s, actor, table_id, name, version)
    return _("Active rule pack changed.")


_TABLE_FORMS = {"pack": _save_pack, "privacy": _save_privacy}


@bp.route("/tables/<int:table_id>", methods=["GET", "POST"])
@login_required
def table(table_id: int) -> ResponseReturnValue:
    """Three forms on one page: the schedule, the rule pack and the privacy settings."""
    if request.method == "GET":
        return _table_page(table_id, {})
    f = request.form
    if f.get("form") == "privacy" and (errors := _privacy_input(f)[2]):
        return _table_page(table_id, errors, 400)
    try:
        with unit() as (s, actor):
            message = _TABLE_FORMS.get(f.get("form", ""), _save_schedule)(s, actor, table_id, f)
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
