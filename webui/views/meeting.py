"""Meeting mode for the chair: agenda, attendance, the shared screen and the minutes.

Every page here asks workflow.access (through workflow.queries) whether the actor chairs the
meeting's table (the agenda: whenever anything committed since the reader was last found to
chair it, webui.agenda_cache). Identity is only ever *entered* (webui.views.meeting_item), on
its own page, and never shown: the projector view carries de-identified facts only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webui.agenda_cache import Agenda, AgendaCache, agenda_cache
from webui.extensions import signed_in_version
from webui.layout import kept_page
from webui.unit import reading, runtime, unit
from webui.views.common import FORM, errors_of
from workflow import legal_basis, meetings, queries
from workflow.errors import DomainError, PermissionDenied
from workflow.models import utcnow

bp = Blueprint("meeting", __name__)
#: The core's attendance fields, by the name of their box on the attendance form.
_ATTENDANCE_FIELDS = {"confidentiality_ack": "ack", "present": "present",
                      "agency_id": "present", "apologies_note": "apologies"}


@bp.route("/meeting")
@login_required
def current() -> ResponseReturnValue:
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
def table_next(table_id: int) -> ResponseReturnValue:
    with unit() as (s, actor):
        meeting_id = queries.next_meeting(s, actor, table_id).id
    return redirect(url_for("meeting.agenda", meeting_id=meeting_id))


def _agenda_page(meeting_id: int, errors: dict[str, str], status: int = 200,
                 token: str | None | Literal[False] = False) -> ResponseReturnValue:
    """The chair's agenda: kept from an earlier request when nothing has committed since and
    the reader was found then to chair it; the controls (with this session's CSRF token) and
    errors drawn for this reader every time. `token`: a data version read before anything this
    request read (else it is read now)."""
    cache = agenda_cache(runtime())
    if token is False:
        token = cache.token()  # first: what is read after it is at least this new
    language, now = str(get_locale()), utcnow()
    kept = cache.kept(token, meeting_id, language, current_user.id, now)
    if kept is None:
        kept = _checked_agenda(cache, token, meeting_id, language, now)

    def page() -> str:
        return render_template("meeting/agenda.html", agenda=kept, mt=kept.meeting,
                               errors=errors)

    if errors or "_flashes" in session:  # drawn for this request alone
        return page(), status
    here = request.full_path.rstrip("?")
    # The reader by id as well as by name and role: a page kept for one person is served to
    # that person only, whatever else two readers may share.
    reader = (current_user.id, current_user.display_name, current_user.role,
              bool(session.get("large")))
    return kept_page(kept.pages, (language, reader, here, request.script_root), page), status


def _checked_agenda(cache: AgendaCache, token: str | None, meeting_id: int, language: str,
                    now: datetime) -> Agenda:
    """The core's check that the reader chairs the meeting (403 if not), then the kept agenda,
    or the agenda rendered afresh and kept."""
    with reading() as (s, actor):
        meeting = queries.chaired_meeting(s, actor, meeting_id)
        found = cache.admit(token, meeting.id, language, actor.id, now)
        if found is not None:
            return found
        view = queries.agenda(s, actor, meeting_id, now=now)
        recent = queries.recent_meetings(s, actor, meeting)
        head = render_template("meeting/_agenda_head.html", a=view, mt=meeting)
        body = render_template("meeting/_agenda_body.html", a=view, mt=meeting, recent=recent)
        return cache.keep(s, token, language, actor.id, view, head, body, now)


@bp.route("/meetings/<int:meeting_id>")
@login_required
def agenda(meeting_id: int) -> ResponseReturnValue:
    # A GET commits nothing before its page: the version read when the reader was found (before
    # anything else was read) is this request's; one read of it, not two.
    return _agenda_page(meeting_id, {}, token=signed_in_version())


@bp.route("/meetings/<int:meeting_id>/open", methods=["POST"])
@login_required
def open_(meeting_id: int) -> ResponseReturnValue:
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
def close(meeting_id: int) -> ResponseReturnValue:
    try:
        with unit() as (s, actor):
            queries.chaired_meeting(s, actor, meeting_id)
            meetings.close_meeting(s, actor, meeting_id)
    except DomainError as exc:
        return _agenda_page(meeting_id, errors_of(exc), 400)
    flash(_("The meeting is closed. The minutes are ready."), "success")
    return redirect(url_for("meeting.minutes", meeting_id=meeting_id))


def _attendance_page(meeting_id: int, errors: dict[str, str], status: int = 200
                     ) -> ResponseReturnValue:
    with reading() as (s, actor):
        meeting, rows = queries.attendance_of(s, actor, meeting_id)
        return render_template("meeting/attendance.html", mt=meeting, rows=rows,
                               errors=errors), status


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(meeting_id: int) -> ResponseReturnValue:
    if request.method == "GET":
        return _attendance_page(meeting_id, {})
    everyone = request.form.get("all") == "yes"  # "all present and acknowledged"
    errors: dict[str, str] = {}
    if not everyone and not any(k.startswith("present-") and v == "yes"
                                for k, v in request.form.items()):
        # A meeting no agency attends decides nothing: an empty form is a slip, not a record.
        return _attendance_page(meeting_id, {FORM: _(
            "Tick each agency present (at least one), or choose “All present and "
            "acknowledged”.")}, 400)
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


# -- shared screen and minutes --------------------------------------------------------------
@bp.route("/meetings/<int:meeting_id>/projector")
@bp.route("/meetings/<int:meeting_id>/projector/<int:situation_id>")
@login_required
def projector(meeting_id: int, situation_id: int | None = None) -> ResponseReturnValue:
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
def minutes(meeting_id: int) -> ResponseReturnValue:
    with reading() as (s, actor):
        meeting = queries.chaired_meeting(s, actor, meeting_id)
        record = meetings.minutes(s, actor, meeting_id)
        table = meeting.table
        return render_template(
            "meeting/minutes.html", mt=meeting, r=record,
            basis_label=lambda code: legal_basis.label_of(s, table, code, str(get_locale())))
