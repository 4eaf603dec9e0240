"""Meeting mode for the chair: agenda, attendance, each situation in turn, minutes, projector.

Every page here asks workflow.access (through workflow.queries) whether the actor chairs the
meeting's table. Identity is only ever *entered* here, on its own page, and never shown: the
projector view and the situation pages of a meeting carry de-identified facts only.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from webui.unit import reading, runtime, unit
from webui.values import bounded_int
from webui.views.common import errors_of, int_list
from workflow import interventions, legal_basis, meetings, queries, situations
from workflow.errors import DomainError, PermissionDenied
from workflow.identity import Identity, Person
from workflow.linkage import commands as linkage
from workflow.linkage.match import OUTCOME_LABELS, seen_before

bp = Blueprint("meeting", __name__)
TASK_ROWS = 3
MAX_PERSONS = 6
#: The core's attendance fields, by the name of their box on the attendance form.
_ATTENDANCE_FIELDS = {"confidentiality_ack": "ack", "present": "present",
                      "agency_id": "present", "apologies_note": "apologies"}


@bp.route("/meeting")
@login_required
def current():  # type: ignore[no-untyped-def]
    """The next meeting of the table the chair coordinates (or a choice of tables)."""
    with reading() as (s, actor):
        tables = queries.chaired_tables(s, actor)
        if not tables:
            raise PermissionDenied(_("Only a chair or coordinator runs a meeting."))
        if len(tables) == 1:
            return redirect(url_for("meeting.table_next", table_id=tables[0].id))
        return render_template("meeting/tables.html", tables=tables)


@bp.route("/meeting/table/<int:table_id>")
@login_required
def table_next(table_id: int):  # type: ignore[no-untyped-def]
    with unit() as (s, actor):
        meeting_id = queries.next_meeting(s, actor, table_id).id
    return redirect(url_for("meeting.agenda", meeting_id=meeting_id))


def _agenda_page(meeting_id: int, errors: dict[str, str], status: int = 200):  # type: ignore[no-untyped-def]
    with reading() as (s, actor):
        view = queries.agenda(s, actor, meeting_id)
        recent = queries.recent_meetings(s, actor, view.meeting)
        return render_template("meeting/agenda.html", a=view, mt=view.meeting, recent=recent,
                               errors=errors), status


@bp.route("/meetings/<int:meeting_id>")
@login_required
def agenda(meeting_id: int):  # type: ignore[no-untyped-def]
    return _agenda_page(meeting_id, {})


@bp.route("/meetings/<int:meeting_id>/open", methods=["POST"])
@login_required
def open_(meeting_id: int):  # type: ignore[no-untyped-def]
    try:
        with unit() as (s, actor):
            queries.chaired_meeting(s, actor, meeting_id)
            meetings.open_meeting(s, actor, meeting_id)
    except DomainError as exc:
        return _agenda_page(meeting_id, errors_of(exc), 400)
    flash(_("The meeting is open. Take attendance first."), "success")
    return redirect(url_for("meeting.attendance", meeting_id=meeting_id))


@bp.route("/meetings/<int:meeting_id>/close", methods=["POST"])
@login_required
def close(meeting_id: int):  # type: ignore[no-untyped-def]
    try:
        with unit() as (s, actor):
            queries.chaired_meeting(s, actor, meeting_id)
            meetings.close_meeting(s, actor, meeting_id)
    except DomainError as exc:
        return _agenda_page(meeting_id, errors_of(exc), 400)
    flash(_("The meeting is closed. The minutes are ready."), "success")
    return redirect(url_for("meeting.minutes", meeting_id=meeting_id))


def _attendance_page(meeting_id: int, errors: dict[str, str], status: int = 200):  # type: ignore[no-untyped-def]
    with reading() as (s, actor):
        meeting, rows = queries.attendance_of(s, actor, meeting_id)
        return render_template("meeting/attendance.html", mt=meeting, rows=rows,
                               errors=errors), status


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(meeting_id: int):  # type: ignore[no-untyped-def]
    if request.method == "GET":
        return _attendance_page(meeting_id, {})
    everyone = request.form.get("all") == "yes"  # "all present and acknowledged"
    errors: dict[str, str] = {}
    try:
        with unit() as (s, actor):
            meeting, rows = queries.attendance_of(s, actor, meeting_id)
            for agency, row in rows:
                try:
                    meetings.record_attendance(
                        s, actor, meeting.id, agency.id,
                        present=everyone or request.form.get(f"present-{agency.id}") == "yes",
                        confidentiality_ack=everyone
                        or request.form.get(f"ack-{agency.id}") == "yes",
                        apologies_note=request.form.get(
                            f"apologies-{agency.id}", row.apologies_note if row else ""))
                except DomainError as exc:
                    if exc.field is None:
                        raise
                    # Each agency's error at its own box, all of them at once.
                    errors.update({f"{_ATTENDANCE_FIELDS.get(k, k)}-{agency.id}": v
                                   for k, v in errors_of(exc).items()})
            if errors:
                raise DomainError(next(iter(errors.values())))
    except DomainError as exc:
        return _attendance_page(meeting_id, errors or errors_of(exc), 400)
    flash(_("Attendance recorded."), "success")
    return redirect(url_for("meeting.agenda", meeting_id=meeting_id))


# -- one situation in turn ----------------------------------------------------------------------
def _item_page(meeting_id: int, situation_id: int, errors: dict[str, str],
               status: int = 200):  # type: ignore[no-untyped-def]
    with reading() as (s, actor):
        meeting, view = queries.meeting_situation(s, actor, meeting_id, situation_id)
        rows = queries.agenda(s, actor, meeting_id).rows
        previous, following = queries.neighbours(rows, situation_id)
        identity_entered = runtime().vault.exists(s, situation_id)
        seen = seen_before(s, view.situation) if view.is_new else None
        tz = meeting.table.timezone
        default_due = view.first_contact_default()
        return render_template(
            "meeting/situation.html", mt=meeting, v=view, s=view.situation, errors=errors,
            previous=previous, following=following, identity_entered=identity_entered,
            seen=seen, seen_labels=OUTCOME_LABELS,
            task_rows=range(TASK_ROWS), firing_label=_firing_label,
            default_due=default_due.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")
            if default_due else "",
        ), status


def _firing_label(explanation: str) -> str:
    """The rule's label in the reader's language, from the engine's trace ("rule X (line N):
    English / Vietnamese" on its first line); the whole trace is on the rules page."""
    first = (explanation or "").split("\n", 1)[0]
    labels = first.split("): ", 1)[-1].split(" / ")
    return labels[-1] if str(get_locale()) == "vi" and len(labels) > 1 else labels[0]


@bp.route("/meetings/<int:meeting_id>/situations/<int:situation_id>")
@login_required
def item(meeting_id: int, situation_id: int):  # type: ignore[no-untyped-def]
    return _item_page(meeting_id, situation_id, {})


def _back(meeting_id: int, situation_id: int, message: str):  # type: ignore[no-untyped-def]
    flash(message, "success")
    return redirect(url_for("meeting.item", meeting_id=meeting_id, situation_id=situation_id))


@bp.route("/meetings/<int:meeting_id>/situations/<int:situation_id>/decide", methods=["POST"])
@login_required
def decide(meeting_id: int, situation_id: int):  # type: ignore[no-untyped-def]
    """Filter 2 in one click: acutely elevated risk (accept), or not (reject, with a reason)."""
    action = request.form.get("decision")
    try:
        with unit() as (s, actor):
            queries.chaired_meeting(s, actor, meeting_id)
            if action == "accept":
                situations.accept(s, actor, situation_id, meeting_id)
            elif action == "reject":
                situations.reject(s, actor, situation_id, meeting_id,
                                  request.form.get("rejection_reason", ""),
                                  request.form.get("rejection_note", ""))
            else:
                raise DomainError(_("Choose accept or reject."), field="decision")
    except DomainError as exc:
        return _item_page(meeting_id, situation_id, errors_of(
            exc, at="decision", known=("rejection_reason", "rejection_note")), 400)
    return _back(meeting_id, situation_id,
                 _("Accepted: acutely elevated risk.") if action == "accept"
                 else _("Rejected; the originating agency is told."))


@bp.route("/meetings/<int:meeting_id>/situations/<int:situation_id>/contact", methods=["POST"])
@login_required
def request_contact(meeting_id: int, situation_id: int):  # type: ignore[no-untyped-def]
    """Ask the chairs of the region's other tables that likely discussed this person to get in
    touch (a notification with no identity)."""
    try:
        with unit() as (s, actor):
            _, view = queries.meeting_situation(s, actor, meeting_id, situation_id)
            linkage.request_contact(s, actor, view.situation)
    except DomainError as exc:
        return _item_page(meeting_id, situation_id, errors_of(exc), 400)
    return _back(meeting_id, situation_id, _("The other table's chair is asked to get in touch."))


@bp.route("/meetings/<int:meeting_id>/situations/<int:situation_id>/disclose",
          methods=["POST"])
@login_required
def disclose(meeting_id: int, situation_id: int):  # type: ignore[no-untyped-def]
    try:
        with unit() as (s, actor):
            queries.chaired_meeting(s, actor, meeting_id)
            interventions.disclose(s, actor, situation_id, int_list("agency_ids"),
                                   basis=request.form.get("legal_basis") or None,
                                   meeting_id=meeting_id)
    except DomainError as exc:
        return _item_page(meeting_id, situation_id, errors_of(
            exc, at="step-disclose", known=("agency_ids", "legal_basis")), 400)
    return _back(meeting_id, situation_id, _("Disclosure granted to the named agencies."))


def _persons_from_form(count: int) -> list[Person]:
    persons = []
    for i in range(count):
        values = {k: request.form.get(f"person-{i}-{k}", "").strip()
                  for k in ("name", "birth_date", "address", "phone")}
        if i > 0 and not any(values.values()):
            continue
        persons.append(Person(name=values["name"], birth_date=values["birth_date"] or None,
                              address=values["address"], phone=values["phone"]))
    return persons


@bp.route("/meetings/<int:meeting_id>/situations/<int:situation_id>/identity",
          methods=["GET", "POST"])
@login_required
def identity(meeting_id: int, situation_id: int):  # type: ignore[no-untyped-def]
    """Enter (or replace) the limited identity; it is written through the vault, never shown."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            with unit() as (s, actor):
                _m, view = queries.meeting_situation(s, actor, meeting_id, situation_id)
                count = _person_rows(view.situation.persons_count)
                runtime().vault.record(s, actor, view.situation,
                                       Identity(_persons_from_form(count)))
        except DomainError as exc:
            errors = errors_of(exc, fields={"persons": "person-0-name"})
        else:
            return _back(meeting_id, situation_id, _("Identity recorded and sealed."))
    with reading() as (s, actor):
        meeting, view = queries.meeting_situation(s, actor, meeting_id, situation_id)
        return render_template("meeting/identity.html", mt=meeting, s=view.situation,
                               rows=range(_person_rows(view.situation.persons_count)),
                               errors=errors), 400 if errors else 200


def _person_rows(persons_count: int) -> int:
    return max(1, min(persons_count, MAX_PERSONS))


def _due_from_form(tz: str, errors: dict[str, str]) -> datetime | None:
    raw = request.form.get("first_contact_due", "").strip()
    if not raw:
        return None
    try:
        due = datetime.fromisoformat(raw)
        if not 2000 <= due.year <= 2200:  # far dates overflow when turned into UTC
            raise ValueError(raw)
        return due.replace(tzinfo=ZoneInfo(tz))
    except ValueError:
        errors["first_contact_due"] = _("Give a date and time, for example 2027-03-04 10:00.")
        return None


def _tasks_from_form(errors: dict[str, str]) -> list[interventions.TaskInput]:
    tasks = []
    for i in range(TASK_ROWS):
        raw_agency = request.form.get(f"task-{i}-agency_id", "")
        agency = bounded_int(raw_agency, low=1)
        description = request.form.get(f"task-{i}-description", "")
        due = request.form.get(f"task-{i}-due_date", "").strip()
        if not raw_agency and not description.strip():
            continue
        if agency is None:
            errors[f"task-{i}-agency_id"] = _("Choose the agency that does this task.")
            continue
        due_date = None
        if due:
            try:
                due_date = date.fromisoformat(due)
            except ValueError:
                errors[f"task-{i}-due_date"] = _("Give the due date as YYYY-MM-DD.")
        tasks.append(interventions.TaskInput(agency, description, due_date))
    return tasks


@bp.route("/meetings/<int:meeting_id>/situations/<int:situation_id>/plan", methods=["POST"])
@login_required
def plan(meeting_id: int, situation_id: int):  # type: ignore[no-untyped-def]
    """Filter 4: lead, assisting agencies, tasks and the first-contact date."""
    errors: dict[str, str] = {}
    lead = bounded_int(request.form.get("lead_agency_id", ""), low=1)
    if lead is None:
        errors["lead_agency_id"] = _("Choose the lead agency.")
    tasks = _tasks_from_form(errors)
    try:
        with unit() as (s, actor):
            meeting = queries.chaired_meeting(s, actor, meeting_id)
            due = _due_from_form(meeting.table.timezone, errors)
            if errors:
                raise DomainError(next(iter(errors.values())), field=next(iter(errors)))
            indexed = [i for i in range(TASK_ROWS)
                       if request.form.get(f"task-{i}-agency_id")
                       or request.form.get(f"task-{i}-description", "").strip()]
            try:
                interventions.plan(s, actor, situation_id, lead_agency_id=lead or 0,
                                   assisting_agency_ids=int_list("assisting_agency_ids"),
                                   tasks=tasks, first_contact_due=due, meeting_id=meeting_id)
            except DomainError as exc:
                _renumber_task_field(exc, indexed)
                raise
    except DomainError as exc:
        return _item_page(meeting_id, situation_id, {**errors, **errors_of(
            exc, at="step-plan", known=("lead_agency_id", "assisting_agency_ids", "task-",
                                        "first_contact_due"))}, 400)
    return _back(meeting_id, situation_id, _("Plan recorded: the lead agency is told."))


def _renumber_task_field(exc: DomainError, indexed: list[int]) -> None:
    """The core counts only the tasks given; point its error at the form row it came from."""
    if exc.field and exc.field.startswith("tasks["):
        n = int(exc.field[6:exc.field.index("]")])
        if n < len(indexed):
            exc.field = f"tasks[{indexed[n]}]" + exc.field[exc.field.index("]") + 1:]


@bp.route("/meetings/<int:meeting_id>/situations/<int:situation_id>/report-back",
          methods=["POST"])
@login_required
def report_back(meeting_id: int, situation_id: int):  # type: ignore[no-untyped-def]
    try:
        with unit() as (s, actor):
            queries.chaired_meeting(s, actor, meeting_id)
            interventions.report_back(
                s, actor, situation_id, progress_note=request.form.get("progress_note", ""),
                first_contact_made=request.form.get("first_contact_made") == "yes",
                still_aer=request.form.get("still_aer") == "yes",
                services=request.form.getlist("services"), meeting_id=meeting_id)
    except DomainError as exc:
        return _item_page(meeting_id, situation_id, errors_of(
            exc, at="report", known=("progress_note", "first_contact_made", "still_aer",
                                     "services")), 400)
    return _back(meeting_id, situation_id, _("Report-back recorded."))


@bp.route("/meetings/<int:meeting_id>/situations/<int:situation_id>/close", methods=["POST"])
@login_required
def close_situation(meeting_id: int, situation_id: int):  # type: ignore[no-untyped-def]
    try:
        with unit() as (s, actor):
            queries.chaired_meeting(s, actor, meeting_id)
            interventions.close(s, actor, situation_id,
                                conclusion_reason=request.form.get("conclusion_reason", ""),
                                services=request.form.getlist("close_services"),
                                meeting_id=meeting_id)
    except DomainError as exc:
        # The pack refuses a closure over its tasks: the reason is shown at the tasks.
        return _item_page(meeting_id, situation_id, errors_of(
            exc, fields={"services": "close_services"}, at="closing", refused_at="tasks",
            known=("conclusion_reason", "close_services")), 400)
    return _back(meeting_id, situation_id, _("The situation is closed."))


@bp.route("/meetings/<int:meeting_id>/situations/<int:situation_id>/flags/<int:flag_id>/clear",
          methods=["POST"])
@login_required
def clear_flag(meeting_id: int, situation_id: int, flag_id: int):  # type: ignore[no-untyped-def]
    with unit() as (s, actor):
        queries.chaired_meeting(s, actor, meeting_id)
        interventions.clear_flag(s, actor, flag_id, situation_id=situation_id)
    return _back(meeting_id, situation_id, _("Flag cleared."))


# -- shared screen and minutes --------------------------------------------------------------
@bp.route("/meetings/<int:meeting_id>/projector")
@bp.route("/meetings/<int:meeting_id>/projector/<int:situation_id>")
@login_required
def projector(meeting_id: int, situation_id: int | None = None):  # type: ignore[no-untyped-def]
    """The shared screen: large type, de-identified facts only, never identity, no controls."""
    with reading() as (s, actor):
        view = queries.agenda(s, actor, meeting_id)
        shown = None
        previous = following = None
        if situation_id is not None:
            _m, shown = queries.meeting_situation(s, actor, meeting_id, situation_id)
            previous, following = queries.neighbours(view.rows, situation_id)
        return render_template("meeting/projector.html", a=view, mt=view.meeting, v=shown,
                               previous=previous, following=following)


@bp.route("/meetings/<int:meeting_id>/minutes")
@login_required
def minutes(meeting_id: int):  # type: ignore[no-untyped-def]
    with reading() as (s, actor):
        meeting = queries.chaired_meeting(s, actor, meeting_id)
        record = meetings.minutes(s, actor, meeting_id)
        table = meeting.table
        return render_template(
            "meeting/minutes.html", mt=meeting, r=record,
            basis_label=lambda code: legal_basis.label_of(s, table, code, str(get_locale())))
