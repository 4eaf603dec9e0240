"""What makes the shared layout cheap to draw on every page: translations looked up once per
render, and the parts of the header that are the same for every reader of one kind kept.

Why: every page draws the same layout around its own content, and the meeting page is asked for
over and over during a meeting (issue 17). Through Flask-Babel, each `_()` in a template finds
the request's catalog again (a dozen context-local lookups per string, twenty strings a page);
`gettext` here is bound to the catalog once per render. The header's navigation (a dozen
translated links) depends only on the language, the reader's role and the app's own routes;
`{% call kept_fragment('nav', lang, role) %}...{% endcall %}` keeps its HTML per process under
those values. A kept fragment must not hold anything of one reader (no name, no form): any
fragment with a form token in it is refused, so a CSRF token is never kept.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask, current_app, g, request
from flask_babel import get_translations
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

#: Where a kept fragment's forms take this request's token (a NUL never comes out of a template
#: otherwise).
FORM_TOKEN = Markup("\x00form-token\x00")
FRAGMENTS = 256  # (fragment, language, role, ...) combinations kept per process
_KEY = "hubtable_layout_fragments"


class FragmentRefused(RuntimeError):
    """A template asked to keep a fragment that holds a form token."""


def _newstyle(translate: Callable[..., str]) -> Callable[..., str]:
    """Jinja's new-style gettext (autoescaped, always %-formatted) over a bound catalog."""

    @pass_context
    def gettext(context: Context, string: str, **variables: Any) -> str:
        text = translate(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 (a msgid or its translation, from our catalogs)
        return text % variables

    return gettext


def _bound_gettext() -> dict[str, object]:
    """`gettext`/`ngettext` of this render, over the request's catalog (found once here);
    Jinja's `_` resolves `gettext` from the template's context first."""
    catalog = get_translations()

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, num: int,
                 **variables: Any) -> str:
        variables.setdefault("num", num)
        text = catalog.ungettext(singular, plural, num)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 (from our catalogs)
        return text % variables

    return {"gettext": _newstyle(catalog.ugettext), "ngettext": ngettext}


class Fragments:
    """One app's kept fragments (one app per web process)."""

    def __init__(self, size: int = FRAGMENTS) -> None:
        self._kept: dict[tuple[Hashable, ...], Markup] = {}
        self._size = size
        self._lock = threading.Lock()
        self.hits: Counter[str] = Counter()  # by fragment name
        self.misses: Counter[str] = Counter()

    def get(self, key: tuple[Hashable, ...], render: Callable[[], str]) -> Markup:
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self.hits[str(key[0])] += 1
                return found
        made = Markup(render())  # noqa: S704 (our own template's output)
        if 'name="csrf_token"' in made:
            raise FragmentRefused(f"fragment {key[0]!r} holds a form token: never kept")
        with self._lock:
            self.misses[str(key[0])] += 1
            if len(self._kept) >= self._size:
                self._kept.clear()
            self._kept[key] = made
        return made


def fragments(app: Flask) -> Fragments:
    found: Fragments | None = app.extensions.get(_KEY)
    if found is None:
        found = app.extensions.setdefault(_KEY, Fragments())
    return found


def kept_fragment(name: str, *key: Hashable, caller: Callable[[], str],
                  fill: Markup | None = None) -> Markup:
    """The body of a `{% call kept_fragment(name, *key) %}` block, drawn once per key (with
    the script root its links start with) and served again. A fragment with forms draws
    `form_token` where each form's token goes, and is given this request's token field as
    `fill`: the kept HTML holds the slot, never a token."""
    kept = fragments(current_app).get((name, request.script_root, *key), caller)
    if fill is None:
        if FORM_TOKEN in kept:
            raise FragmentRefused(f"fragment {name!r} has form-token slots and no token to fill")
        return kept
    return Markup(kept.replace(FORM_TOKEN, fill))  # noqa: S704 (our fragment, the token field)


_SLOTS = "hubtable_form_slots"
PAGES = 64  # reader variants (language, size, name and role, path) kept per owner


def form_field() -> Markup:
    """This request's CSRF token field; its slot while a whole page is drawn to be kept."""
    if g.get(_SLOTS):
        return FORM_TOKEN
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf())


def kept_page(pages: dict[tuple[Hashable, ...], Markup], key: tuple[Hashable, ...],
              render: Callable[[], str]) -> Markup:
    """A whole page kept in `pages` (its owner decides how long it holds) under `key`, which
    must name everything of the reader that the page shows: drawn once with each form's token
    as a slot, and filled with this request's token on every use."""
    found = pages.get(key)
    if found is None:
        setattr(g, _SLOTS, True)
        try:
            found = Markup(render())  # noqa: S704 (our own template's output)
        finally:
            g.pop(_SLOTS, None)
        if 'name="csrf_token"' in found:
            raise FragmentRefused("a page to be kept holds a form token: never kept")
        if len(pages) >= PAGES:
            pages.clear()
        pages[key] = found
    return Markup(found.replace(FORM_TOKEN, form_field()))  # noqa: S704 (ours, the token field)


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = Fragments()
    app.context_processor(_bound_gettext)
    app.jinja_env.globals["kept_fragment"] = kept_fragment
    app.jinja_env.globals["form_token"] = FORM_TOKEN
    app.jinja_env.globals["form_field"] = form_field
