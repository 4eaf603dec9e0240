"""One situation in turn at the meeting: its page and the chair's decisions on it.

Every route asks the core (workflow.queries.chaired_meeting / meeting_situation) whether the
actor chairs the meeting's table; identity is only entered here, on its own page, never shown.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from webui.unit import reading, runtime, unit
from webui.values import bounded_int
from webui.views.common import errors_of, int_list, report_back_answers
from webui.views.meeting import bp
from webui.views.meeting_forms import (
    REPLAN_FIELDS,
    TASK_ROWS,
    change_plan,
    due_from_form,
    person_rows,
    persons_from_form,
    renumber_task_field,
    tasks_from_form,
)
from workflow import interventions, queries, situations
from workflow.errors import DomainError
from workflow.identity import Identity
from workflow.linkage import commands as linkage
from workflow.linkage.match import OUTCOME_LABELS, seen_before


def _item_page(meeting_id: int, situation_id: int, errors: dict[str, str],
               status: int = 200) -> ResponseReturnValue:
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
def item(meeting_id: int, situation_id: int) -> ResponseReturnValue:
    return _item_page(meeting_id, situation_id, {})


def _back(meeting_id: int, situation_id: int, message: str) -> ResponseReturnValue:
    flash(message, "success")
    return redirect(url_for("meeting.item", meeting_id=meeting_id, situation_id=situation_id))


@bp.route("/meetings/<int:meeting_id>/situations/<int:situation_id>/decide", methods=["POST"])
@login_required
def decide(meeting_id: int, situation_id: int) -> ResponseReturnValue:
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
def request_contact(meeting_id: int, situation_id: int) -> ResponseReturnValue:
    """Ask the chairs of the region's other tables that likely discussed this person to get in
    touch (a notification with no identity)."""
    try:
        with unit() as (s, actor):
            _m, view = queries.meeting_situation(s, actor, meeting_id, situation_id)
            linkage.request_contact(s, actor, view.situation)
    except DomainError as exc:
        return _item_page(meeting_id, situation_id, errors_of(exc), 400)
    return _back(meeting_id, situation_id, _("The other table's chair is asked to get in touch."))


@bp.route("/meetings/<int:meeting_id>/situations/<int:situation_id>/disclose",
          methods=["POST"])
@login_required
def disclose(meeting_id: int, situation_id: int) -> ResponseReturnValue:
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


@bp.route("/meetings/<int:meeting_id>/situations/<int:situation_id>/identity",
          methods=["GET", "POST"])
@login_required
def identity(meeting_id: int, situation_id: int) -> ResponseReturnValue:
    """Enter (or replace) the limited identity; it is written through the vault, never shown."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        refused: DomainError | None = None
        try:
            with unit() as (s, actor):
                _m, view = queries.meeting_situation(s, actor, meeting_id, situation_id)
                count = person_rows(view.situation.persons_count)
                try:
                    runtime().vault.record(s, actor, view.situation,
                                           Identity(persons_from_form(count)))
                except DomainError as exc:
                    refused = exc  # the vault wrote nothing but its audit of a refusal: keep it
        except DomainError as exc:
            refused = exc
        if refused is not None:
            errors = errors_of(refused, fields={"persons": "person-0-name"})
        else:
            return _back(meeting_id, situation_id, _("Identity recorded and sealed."))
    with reading() as (s, actor):
        meeting, view = queries.meeting_situation(s, actor, meeting_id, situation_id)
        return render_template("meeting/identity.html", mt=meeting, s=view.situation,
                               rows=range(person_rows(view.situation.persons_count)),
                               errors=errors), 400 if errors else 200



@bp.route("/meetings/<int:meeting_id>/situations/<int:situation_id>/plan", methods=["POST"])
@login_required
def plan(meeting_id: int, situation_id: int) -> ResponseReturnValue:
    """Filter 4: lead, assisting agencies, tasks and the first-contact date."""
    errors: dict[str, str] = {}
    lead = bounded_int(request.form.get("lead_agency_id", ""), low=1)
    if lead is None:
        errors["lead_agency_id"] = _("Choose the lead agency.")
    tasks = tasks_from_form(errors)
    try:
        with unit() as (s, actor):
            meeting = queries.chaired_meeting(s, actor, meeting_id)
            due = due_from_form(meeting.table.timezone, errors)
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
                renumber_task_field(exc, indexed)
                raise
    except DomainError as exc:
        return _item_page(meeting_id, situation_id, {**errors, **errors_of(
            exc, at="step-plan", known=("lead_agency_id", "assisting_agency_ids", "task-",
                                        "first_contact_due"))}, 400)
    return _back(meeting_id, situation_id, _("Plan recorded: the lead agency is told."))


@bp.route("/meetings/<int:meeting_id>/situations/<int:situation_id>/replan", methods=["POST"])
@login_required
def replan(meeting_id: int, situation_id: int) -> ResponseReturnValue:
    """The table changes the plan of a running intervention: lead, assisting, more tasks."""
    errors: dict[str, str] = {}
    try:
        with unit() as (s, actor):
            meeting = queries.chaired_meeting(s, actor, meeting_id)
            change_plan(s, actor, situation_id, errors, timezone=meeting.table.timezone,
                        meeting_id=meeting_id)
    except DomainError as exc:
        return _item_page(meeting_id, situation_id, {**errors, **errors_of(
            exc, at="replan", known=REPLAN_FIELDS)}, 400)
    return _back(meeting_id, situation_id,
                 _("Plan changed: each agency whose part changed is told."))



@bp.route("/meetings/<int:meeting_id>/situations/<int:situation_id>/report-back",
          methods=["POST"])
@login_required
def report_back(meeting_id: int, situation_id: int) -> ResponseReturnValue:
    errors: dict[str, str] = {}
    made, still = report_back_answers(errors)
    if errors:
        return _item_page(meeting_id, situation_id, errors, 400)
    try:
        with unit() as (s, actor):
            queries.chaired_meeting(s, actor, meeting_id)
            interventions.report_back(
                s, actor, situation_id, progress_note=request.form.get("progress_note", ""),
                first_contact_made=made, still_aer=still,
                services=request.form.getlist("services"), meeting_id=meeting_id)
    except DomainError as exc:
        return _item_page(meeting_id, situation_id, errors_of(
            exc, at="report", known=("progress_note", "first_contact_made", "still_aer",
                                     "services")), 400)
    return _back(meeting_id, situation_id, _("Report-back recorded."))


@bp.route("/meetings/<int:meeting_id>/situations/<int:situation_id>/close", methods=["POST"])
@login_required
def close_situation(meeting_id: int, situation_id: int) -> ResponseReturnValue:
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
def clear_flag(meeting_id: int, situation_id: int, flag_id: int) -> ResponseReturnValue:
    with unit() as (s, actor):
        queries.chaired_meeting(s, actor, meeting_id)
        interventions.clear_flag(s, actor, flag_id, situation_id=situation_id)
    return _back(meeting_id, situation_id, _("Flag cleared."))
