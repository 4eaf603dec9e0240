"""Template helpers: code labels in the user's language, local dates, and kept form input."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import Flask, g, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from workflow import meetings, stages
from workflow.reference import load_catalog

ROLE_NAMES = {"agency_rep": _l("Agency representative"), "chair": _l("Chair / coordinator"),
              "manager": _l("Manager"), "admin": _l("Administrator")}
#: The core names the stages and their English labels; the catalogs translate the labels
#: (their msgids are kept for extraction in webui/translations/core_labels.py).
STAGE_NAMES = {code: _l(text) for code, text in stages.LABELS.items()}
OUTCOME_NAMES = {code: _l(text) for code, text in meetings.OUTCOME_LABELS.items()}
WEEKDAY_NAMES = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                 _l("Saturday"), _l("Sunday"))


def _lang() -> str:
    """The request's language, asked of Flask-Babel once per request (pages ask it often)."""
    if "hubtable_lang" not in g:
        g.hubtable_lang = str(get_locale() or "en")
    return str(g.hubtable_lang)


@lru_cache(maxsize=64)
def _labels(kind: str, lang: str) -> dict[str, str]:
    """Every label of one kind in one language; the catalog is loaded once per process."""
    catalog = load_catalog()
    return {code: catalog.label(kind, code, lang) for code in catalog.items(kind)}


def label(code: str | None, kind: str) -> str:
    """The English or Vietnamese label of a reference code (the code itself if unknown)."""
    if not code:
        return ""
    return _labels(kind, _lang()).get(code, code)


def _translated(names: dict[str, object], key: str) -> dict[str, str]:
    """A name table in the request's language, resolved once per request."""
    cache: dict[str, dict[str, str]] = g.setdefault("hubtable_names", {})
    if key not in cache:
        cache[key] = {code: str(text) for code, text in names.items()}
    return cache[key]


def when(value: datetime | None, tz: str | None = None, fmt: str = "medium") -> str:
    """A moment in the table's time zone, formatted for the user's language; a moment no
    table places (a token's expiry, an inbox item) says it is UTC, so that nobody reads it as
    their own clock."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(tz or "UTC"))
    shown = format_datetime(local, fmt, rebase=False)
    return shown if tz else f"{shown} UTC"


def day(value: date | datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_date(value, fmt, rebase=False) if isinstance(value, datetime) else \
        format_date(value, fmt)


def options(kind: str) -> list[tuple[str, str]]:
    """(code, label) pairs of a code list, for a select or a set of checkboxes."""
    return [(code, label(code, kind)) for code in load_catalog().items(kind)]


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
        "options": options,
        "labels": lambda kind: _labels(kind, _lang()),
        "table_options": lambda rows: [(str(r.id), r.name) for r in rows],
        "role_label": lambda code: ROLE_NAMES.get(code, code),
        "stage_name": lambda code: _translated(STAGE_NAMES, "stages").get(code, code),
        "outcome_name": lambda code: OUTCOME_NAMES.get(code or "", code or ""),
        "weekday_name": lambda n: WEEKDAY_NAMES[n] if 0 <= n < 7 else str(n),
        "kept_list": kept_list,
    }


def _nl2br(text: str) -> Markup:
    from markupsafe import escape

    return Markup("<br>").join(escape(line) for line in (text or "").splitlines())


def _zip_names(ids: Iterable[int | str], names: dict[int, str]) -> list[tuple[str, str]]:
    """Agency ids (as strings) beside their names, for a select or checkboxes."""
    return [(str(i), names.get(int(i), str(i))) for i in ids]


def init_app(app: Flask) -> None:
    app.add_template_filter(label, "label")
    app.add_template_filter(when, "when")
    app.add_template_filter(day, "day")
    app.add_template_filter(_nl2br, "nl2br")
    app.add_template_filter(format_decimal, "decimal")
    app.add_template_filter(_zip_names, "zip_names")
    app.add_template_filter(lambda a, b: list(zip(a, b, strict=False)), "zip")
    app.add_template_filter(
        lambda days: [(d, str(WEEKDAY_NAMES[int(d)])) for d in days], "zip_weekdays")
    app.add_template_filter(
        lambda roles: [(r, str(ROLE_NAMES.get(r, r))) for r in roles], "zip_roles")
    app.context_processor(_context)
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
