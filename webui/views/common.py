"""What every view shares: rendering a form again with its errors, safe redirects, labels."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask import request
from flask_babel import get_locale
from flask_babel import gettext as _

from webui.values import bounded_int
from workflow.errors import DomainError, NotFound, PermissionDenied, RuleRefusal

FORM = "_form"  # errors that belong to the form as a whole
# The core names a row's field "persons[0].name"; the forms name that input "person-0-name".
_ROW_FIELD = re.compile(r"^(\w+?)s\[(\d+)\]\.(\w+)$")


def errors_of(exc: DomainError, *, fields: dict[str, str] | None = None,
              at: str | None = None, known: tuple[str, ...] = (),
              refused_at: str | None = None) -> dict[str, str]:
    """The message by field name; refusals of access are not form errors and go up as 403/404.

    `fields` renames a core field ("tasks[0].description") to the form's input name. With
    `at`, an error about no field of this form (a stage, a meeting, the form as a whole) is
    shown at that part of the page instead of only at the top; `known` lists the form's
    field names (a trailing "-" matches a prefix, as "task-"). A rule pack's refusal goes to
    `refused_at` (else `at`).
    """
    if isinstance(exc, PermissionDenied | NotFound):
        raise exc
    if isinstance(exc, RuleRefusal):
        return {refused_at or at or FORM: message_of(exc)}
    name = exc.field or FORM
    if fields:
        name = fields.get(name, name)
    name = _ROW_FIELD.sub(r"\1-\2-\3", name)
    if at is not None and not _known(name, known):
        name = at
    return {name: message_of(exc)}


def _known(name: str, known: tuple[str, ...]) -> bool:
    return any(name == k or (k.endswith("-") and name.startswith(k)) for k in known)


def refusal_of(exc: DomainError) -> str:
    """A refusal shown in the form it is about, whatever its field; refusals of access are not
    form errors and go up as 403/404."""
    if isinstance(exc, PermissionDenied | NotFound):
        raise exc
    return message_of(exc)


def message_of(exc: DomainError) -> str:
    """The error in the reader's language: the core's template through the catalog, then its
    parameters (the core's English when the catalog has no entry); a rule pack's refusal in
    the pack's own words for the reader's language."""
    if isinstance(exc, RuleRefusal):
        return "; ".join(exc.in_language(str(get_locale() or "en")))
    return said(getattr(exc, "template", exc.message), getattr(exc, "params", {}) or {},
                exc.message)


def said(template: str, params: dict[str, Any], english: str) -> str:
    """The core's English template through the catalog, then its named parameters; the
    core's own English when the catalog's entry lost a parameter. Shared by errors
    (`message_of`) and the report's words (webui/reports_views.say)."""
    try:
        return _(template, **params) if params else _(template)
    except (KeyError, TypeError, ValueError):
        return english


def is_local_path(target: str) -> bool:
    """A path on this site only: no scheme, no host, no backslash, no control character.

    Browsers drop tabs and newlines inside a URL, so "/\t/evil.example" would become
    "//evil.example" (another site); such targets are refused, not cleaned.
    """
    if not target.startswith("/") or target.startswith("//") or len(target) > 2000:
        return False
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(default: str) -> str:
    """A local path to go back to; never another site (no open redirect)."""
    target = request.form.get("next") or request.args.get("next") or ""
    return target if is_local_path(target) else default


def yes_no(name: str) -> bool | None:
    value = request.form.get(name, "")
    return {"yes": True, "no": False}.get(value)


def answered(name: str, errors: dict[str, str], message: str) -> bool:
    """A yes/no question asked with two radio buttons and no default: left unanswered (or any
    other value) it is an error beside the question, never a silent "no"."""
    value = yes_no(name)
    if value is None:
        errors[name] = message
    return bool(value)


def int_list(name: str) -> list[int]:
    """The distinct ids chosen in a multi-select; what is not an id in range is left out."""
    found = (bounded_int(v, low=1) for v in request.form.getlist(name))
    return list(dict.fromkeys(v for v in found if v is not None))


def chosen_ids(name: str, errors: dict[str, str]) -> list[int]:
    """The distinct ids ticked in a group of checkboxes. A value the form never offers (not
    an id) is an error beside the group, never silently left out; whether each id exists is
    the core's question."""
    found = [bounded_int(v, low=1) for v in request.form.getlist(name)]
    if None in found:
        errors[name] = _("Choose from the list.")
    return list(dict.fromkeys(v for v in found if v is not None))


def agency_choice(errors: dict[str, str]) -> int | None:
    """The agency chosen in a user form's list: None for its "None" (an administrator's);
    anything but an id is an error beside the list, not a silent "None"."""
    raw = request.form.get("agency_id", "")
    if not raw:
        return None
    agency_id = bounded_int(raw, low=1)
    if agency_id is None:
        errors["agency_id"] = _("Choose an agency from the list.")
    return agency_id


def required_int(name: str, errors: dict[str, str], message: str | None = None) -> int | None:
    value = bounded_int(request.form.get(name, ""))
    if value is None:
        errors[name] = message or _("Choose a value.")
    return value


def report_back_answers(errors: dict[str, str]) -> tuple[bool, bool]:
    """A report-back's two questions (first contact made? still acutely elevated?): both must
    be answered, since an unanswered "still at risk?" would count as "risk lowered"."""
    made = answered("first_contact_made", errors, _("Say whether first contact has been made."))
    still = answered("still_aer", errors, _("Say whether the risk is still acutely elevated."))
    return made, still
