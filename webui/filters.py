"""Template helpers: code labels in the user's language, local dates, and kept form input."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, request, session
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user
from markupsafe import Markup

from workflow.reference import load_catalog

ROLE_NAMES = {"agency_rep": "Agency representative", "chair": "Chair / coordinator",
              "manager": "Manager", "admin": "Administrator"}


def _lang() -> str:
    return str(get_locale() or "en")


def label(code: str | None, kind: str) -> str:
    """The English or Vietnamese label of a reference code (the code itself if unknown)."""
    if not code:
        return ""
    try:
        return load_catalog().label(kind, code, _lang())
    except KeyError:
        return code


def when(value: datetime | None, tz: str | None = None, fmt: str = "medium") -> str:
    """A moment in the table's time zone, formatted for the user's language."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(tz or "UTC"))
    return format_datetime(local, fmt, rebase=False)


def day(value: date | datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_date(value, fmt, rebase=False) if isinstance(value, datetime) else \
        format_date(value, fmt)


def kept(name: str, default: object = "") -> str:
    """What the user typed, when the form comes back with an error; else the stored value."""
    if request.method == "POST" and name in request.form:
        return request.form.get(name, "")
    return "" if default is None else str(default)


def kept_list(name: str, default: list[str] | None = None) -> list[str]:
    if request.method == "POST":
        return request.form.getlist(name)
    return [str(v) for v in (default or [])]


def _context() -> dict[str, object]:
    return {
        "catalog": load_catalog(),
        "lang": _lang(),
        "large_type": bool(session.get("large")),
        "role_name": ROLE_NAMES.get(current_user.role, "") if current_user.is_authenticated
        else "",
        "kept": kept,
        "kept_list": kept_list,
    }


def _nl2br(text: str) -> Markup:
    from markupsafe import escape

    return Markup("<br>").join(escape(line) for line in (text or "").splitlines())


def init_app(app: Flask) -> None:
    app.add_template_filter(label, "label")
    app.add_template_filter(when, "when")
    app.add_template_filter(day, "day")
    app.add_template_filter(_nl2br, "nl2br")
    app.context_processor(_context)
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
