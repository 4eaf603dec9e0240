"""An agency's situations: filter 1 (draft, edit, submit), the record, and its own work on it.

The identity of a situation has a page of its own, readable only by users of a granted agency;
every view of it is audited by the vault. No other page ever reads identity.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy.orm import Session

from webui.unit import reading, runtime, unit
from webui.values import bounded_int
from webui.views.common import FORM, errors_of, report_back_answers, safe_next, yes_no
from webui.views.meeting_forms import REPLAN_FIELDS, TASK_ROWS, change_plan
from workflow import (
    access,
    agency_queries,
    form_tokens,
    interventions,
    legal_basis,
    queries,
    situations,
)
from workflow.deidentified import identifying_kinds
from workflow.errors import ConcurrentEdit, DomainError, IllegalTransition, PermissionDenied
from workflow.linkage.commands import check_at_filter1
from workflow.models import Situation, User
from workflow.reference import load_catalog

bp = Blueprint("situations", __name__, url_prefix="/situations")


def _facts_from_form(errors: dict[str, str]) -> situations.Filter1:
    """Read filter 1's fields; what is missing or malformed is noted beside its field."""
    form = request.form
    for name, message in (("situation_type", _("Choose the type of situation.")),
                          ("age_group", _("Choose an age group.")),
                          ("gender", _("Choose a gender."))):
        if not form.get(name):
            errors[name] = message
    _check_deidentified(errors, form.get("summary", ""))
    persons = bounded_int(form.get("persons_count", "1").strip() or "1", high=1000)
    if persons is None:
        errors["persons_count"] = _("Give the number of persons as a whole number.")
        persons = 1
    return situations.Filter1(
        situation_type=form.get("situation_type", ""),
        age_group=form.get("age_group", ""),
        gender=form.get("gender", ""),
        risk_factors=list(dict.fromkeys(form.getlist("risk_factors"))),
        aer_reasons=list(dict.fromkeys(form.getlist("aer_reasons"))),
        summary=form.get("summary", ""),
        persons_count=persons,
        options_exhausted=yes_no("options_exhausted"),
        needs_multiple_agencies=yes_no("needs_multiple_agencies"),
        harm_probable_imminent=yes_no("harm_probable_imminent"),
        consent=form.get("consent") or None,
        help_source=form.get("help_source") or None,
    )


#: The kinds of identity `identifying_kinds` finds, as the warning names them.
_KINDS = {"name": _l("a name"), "birth_date": _l("a birth date"),
          "phone_or_id": _l("a phone, card or ID number"), "email": _l("an email address"),
          "address": _l("an address")}


def _check_deidentified(errors: dict[str, str], summary: str) -> None:
    """A summary that looks as if it holds identity is saved only once the writer ticks that
    nothing in it identifies anyone. The warning names the kinds found, never the text."""
    kinds = identifying_kinds(summary)
    if kinds and request.form.get("confirm_deidentified") != "yes":
        errors["confirm_deidentified"] = _(
            "The summary may identify someone (%(kinds)s). Take it out: filters 1 and 2 share "
            "no identity. If nothing in it identifies anyone, tick the box and save again.",
            kinds=", ".join(str(_KINDS[k]) for k in kinds))


def _form_page(errors: dict[str, str], *, situation_id: int | None = None,
               status: int = 200, fresh_token: bool = False) -> ResponseReturnValue:
    with reading() as (s, actor):
        tables = agency_queries.agency_tables(s, actor)
        if not tables:
            raise PermissionDenied(_("Your role or agency may not present situations."))
        facts = None
        situation = None
        if situation_id is not None:
            view = queries.situation_view(s, actor, situation_id)
            situation = view.situation
            if not view.can("update_draft"):
                if not (view.is_originator or view.is_chair):
                    raise PermissionDenied(_("Only the originating agency edits its draft."))
                return redirect(url_for("situations.view", situation_id=situation_id))
            facts = situations.facts_of(situation)
        # A new situation's form keeps its one-time token through a re-render after a field
        # error, so that the corrected form, saved twice, still makes one situation.
        token = None if situation_id is not None else (
            None if fresh_token else _posted_token()) or form_tokens.new_token()
        return render_template("situations/form.html", tables=tables, facts=facts,
                               situation=situation, errors=errors, new_situation_token=token,
                               categories=load_catalog().categories), status


def _posted_token() -> str | None:
    token = request.form.get("form_token")
    return token if form_tokens.valid(token) else None


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    if request.method == "GET":
        return _form_page({})
    errors: dict[str, str] = {}
    facts = _facts_from_form(errors)
    table_id = bounded_int(request.form.get("table_id", ""), low=1)
    if table_id is None:
        errors["table_id"] = _("Choose the table.")
    if errors or table_id is None:
        return _form_page(errors, status=400)
    token = _posted_token()
    try:
        with unit() as (s, actor):
            sit = situations.draft(s, actor, table_id, facts, form_token=token)
            _check_earlier(s, actor, sit)
            sid = sit.id
    except DomainError as exc:
        return _form_page(errors_of(exc), status=400)
    except Exception as exc:
        found = _saved_before(token) if form_tokens.clashed(exc, token) else None
        if found is None:
            raise
        return found
    return _after_save(sid)


def _saved_before(token: str | None) -> ResponseReturnValue | None:
    """The same form was saved already (a double click): its situation, as after the first."""
    assert token is not None
    try:
        with reading() as (s, actor):
            sid = form_tokens.drafted_with(s, actor, token)
    except form_tokens.TokenUsed as exc:
        return _form_page(errors_of(exc), status=409, fresh_token=True)
    if sid is None:
        return None
    return _after_save(sid)  # as the first click ended: submitted, refused, or a draft


@bp.route("/<int:situation_id>/edit", methods=["GET", "POST"])
@login_required
def edit(situation_id: int) -> ResponseReturnValue:
    if request.method == "GET":
        return _form_page({}, situation_id=situation_id)
    errors: dict[str, str] = {}
    facts = _facts_from_form(errors)
    if errors:
        return _form_page(errors, situation_id=situation_id, status=400)
    try:
        with unit() as (s, actor):
            _check_earlier(s, actor, situations.update_draft(
                s, actor, situation_id, facts,
                expected_version=bounded_int(request.form.get("version", ""))))
    except ConcurrentEdit:
        # The form comes back with what this person typed and the version now saved, so a
        # second save is a choice made knowing that it replaces the other one.
        return _form_page({FORM: _("Someone saved this draft after you opened it. Your "
                                   "changes are below: save again to replace theirs, or "
                                   "reload the page to see theirs.")},
                          situation_id=situation_id, status=409)
    except DomainError as exc:
        return _form_page(errors_of(exc), situation_id=situation_id, status=400)
    return _after_save(situation_id)


def _check_earlier(s: Session, actor: User, situation: Situation) -> None:
    """The optional "check for earlier discussions" box: tokens only; the typed text is never
    stored, logged or shown again (the form never fills these two fields back in)."""
    check_at_filter1(s, runtime().vault.linkage_key(), actor, situation,
                     request.form.get("check_name", ""),
                     request.form.get("check_birth_date", ""))


def _after_save(situation_id: int) -> ResponseReturnValue:
    """A saved draft stays a draft unless the user asked to submit it (then filter 1 ends)."""
    if request.form.get("action") != "submit":
        flash(_("Saved as a draft. It goes to the table only when you submit it."), "success")
        return redirect(url_for("situations.edit", situation_id=situation_id))
    try:
        with unit() as (s, actor):
            situations.submit(s, actor, situation_id)
    except IllegalTransition:
        # Submitted already: the other click of a double click got there first.
        return redirect(url_for("situations.view", situation_id=situation_id))
    except DomainError as exc:
        flash(_("Saved as a draft, but not submitted yet: see the message below."), "info")
        return _form_page(errors_of(exc), situation_id=situation_id, status=400)
    flash(_("Submitted. It is on the agenda of the table's next meeting."), "success")
    return redirect(url_for("situations.view", situation_id=situation_id))


@bp.route("/<int:situation_id>")
@login_required
def view(situation_id: int) -> ResponseReturnValue:
    return _detail(situation_id, {})


def _detail(situation_id: int, errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    with reading() as (s, actor):
        v = queries.situation_view(s, actor, situation_id)
        return render_template("situations/view.html", v=v, s=v.situation, errors=errors,
                               actor=actor, now=datetime.now().astimezone(),
                               task_rows=range(TASK_ROWS)), status


@bp.route("/<int:situation_id>/identity")
@login_required
def identity(situation_id: int) -> ResponseReturnValue:
    """The limited identity, for users of a granted agency only; the vault audits each view."""
    refused: DomainError | None = None
    with unit() as (s, actor):
        try:
            situation, person_list = runtime().vault.open(s, actor, situation_id)
        except DomainError as exc:
            refused = exc  # commit the vault's audit entry of the refusal, then answer 403/404
        else:
            code = legal_basis.of_agency(situation, actor.agency_id)
            basis = legal_basis.label_of(s, situation.table, code, actor.language) \
                if code else None
            page = render_template("situations/identity.html", s=situation,
                                   identity=person_list, basis=basis)
    if refused is not None:
        raise refused
    return page


@bp.route("/<int:situation_id>/first-contact", methods=["POST"])
@login_required
def first_contact(situation_id: int) -> ResponseReturnValue:
    try:
        with unit() as (s, actor):
            interventions.record_first_contact(s, actor, situation_id)
    except DomainError as exc:
        return _detail(situation_id, errors_of(exc, fields={"at": "first_contact"}), 400)
    flash(_("First contact recorded."), "success")
    return redirect(url_for("situations.view", situation_id=situation_id))


@bp.route("/<int:situation_id>/tasks/<int:task_id>", methods=["POST"])
@login_required
def task(situation_id: int, task_id: int) -> ResponseReturnValue:
    try:
        with unit() as (s, actor):
            interventions.update_task(
                s, actor, task_id, status=request.form.get(f"task-{task_id}-status", ""),
                note=request.form.get(f"task-{task_id}-note", ""), situation_id=situation_id)
    except DomainError as exc:
        errors = {f"task-{task_id}-{k}" if k != FORM else k: v
                  for k, v in errors_of(exc).items()}
        return _detail(situation_id, errors, 400)
    flash(_("Task updated."), "success")
    return redirect(safe_next(url_for("situations.view", situation_id=situation_id)))


@bp.route("/<int:situation_id>/report-back", methods=["POST"])
@login_required
def report_back(situation_id: int) -> ResponseReturnValue:
    errors: dict[str, str] = {}
    made, still = report_back_answers(errors)
    if errors:
        return _detail(situation_id, errors, 400)
    try:
        with unit() as (s, actor):
            interventions.report_back(
                s, actor, situation_id, progress_note=request.form.get("progress_note", ""),
                first_contact_made=made, still_aer=still,
                services=request.form.getlist("services"))
    except DomainError as exc:
        return _detail(situation_id, errors_of(exc), 400)
    flash(_("Report-back recorded."), "success")
    return redirect(url_for("situations.view", situation_id=situation_id))


@bp.route("/<int:situation_id>/replan", methods=["POST"])
@login_required
def replan(situation_id: int) -> ResponseReturnValue:
    """The chair changes the plan between meetings (the same form as at a meeting)."""
    errors: dict[str, str] = {}
    try:
        with unit() as (s, actor):
            table = access.load_visible_situation(s, actor, situation_id).table
            change_plan(s, actor, situation_id, errors, timezone=table.timezone)
    except DomainError as exc:
        return _detail(situation_id, {**errors, **errors_of(
            exc, at="replan", known=REPLAN_FIELDS)}, 400)
    flash(_("Plan changed: each agency whose part changed is told."), "success")
    return redirect(url_for("situations.view", situation_id=situation_id))


@bp.route("/<int:situation_id>/withdraw", methods=["POST"])
@login_required
def withdraw(situation_id: int) -> ResponseReturnValue:
    try:
        with unit() as (s, actor):
            situations.withdraw(s, actor, situation_id, request.form.get("withdrawal_reason", ""),
                                runtime().vault, note=request.form.get("withdrawal_note", ""))
    except DomainError as exc:
        return _detail(situation_id, errors_of(exc), 400)
    flash(_("The situation is withdrawn."), "success")
    return redirect(url_for("situations.view", situation_id=situation_id))


@bp.route("/<int:situation_id>/re-present", methods=["POST"])
@login_required
def re_present(situation_id: int) -> ResponseReturnValue:
    """The risk is back: the originating agency starts a NEW draft from a finished situation
    (rejected, withdrawn or closed), linked to it, to check and submit again."""
    try:
        with unit() as (s, actor):
            sid = situations.re_present(s, actor, situation_id).id
    except DomainError as exc:
        return _detail(situation_id, errors_of(exc), 400)
    flash(_("A new draft is made from this situation. Check it, then submit it."), "success")
    return redirect(url_for("situations.edit", situation_id=sid))
