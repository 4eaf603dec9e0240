"""The layout's kept header (webui.layout): kept per language and role, never one reader's name
or form token, and the templates' bound gettext says what Flask-Babel would (issue 17)."""

from __future__ import annotations

import re

import pytest
from babel.support import Translations
from flask import render_template_string
from flask_babel import force_locale
from flask_babel import gettext as babel_gettext
from support.factories import PASSWORD, open_meeting

from web.conftest import _TOKEN, signed_in
from webui import layout
from workflow import directory

PAGE = "/account/password"  # a page of the layout that every signed-in reader may see
CATALOGS = layout.__file__.rsplit("/", 1)[0] + "/translations"


def _header(html: str) -> str:
    found = re.search(r'<a class="skip".*?</nav>', html, re.S)
    assert found, "no header"
    return found.group(0)


def _fragments(app) -> layout.Fragments:
    return layout.fragments(app)


def test_the_header_is_kept_once_per_role_and_differs_between_roles(app, world):
    chair = signed_in(app, "chair")  # signing in shows PAGE once: the chair's header is kept
    chair_page = chair.get(PAGE).get_data(as_text=True)
    rep_page = signed_in(app, "school").get(PAGE).get_data(as_text=True)
    assert 'href="/meeting"' in _header(chair_page)
    assert 'href="/meeting"' not in _header(rep_page)
    hits = _fragments(app).hits["header"]
    again = chair.get(PAGE).get_data(as_text=True)
    assert _fragments(app).hits["header"] == hits + 1, "the second page drew its header again"
    assert _header(again) == _header(chair_page)


def _add_cochair(world) -> None:
    """A second chair of the same table, signed in as "cochair"."""
    with world.runtime.command() as s:
        directory.create_user(s, email="cochair@demo.hubtable.test", display_name="Co-chair",
                              password="", role="chair", agency_id=world.agencies["cmha"],
                              table_ids=[world.table_id],
                              password_hash=directory.hash_password(PASSWORD))


def test_each_reader_sees_their_own_name_and_form_token(app, world):
    _add_cochair(world)
    chair = signed_in(app, "chair")
    chair.get(PAGE)
    cochair = signed_in(app, "cochair")
    page = cochair.get(PAGE).get_data(as_text=True)
    assert "Co-chair ·" in page and "Chair ·" not in page.replace("Co-chair ·", "")
    tokens = set(_TOKEN.findall(page))
    assert tokens and not tokens & set(_TOKEN.findall(chair.get(PAGE).get_data(as_text=True)))


def test_the_header_follows_the_reader_language(app, world):
    rep = signed_in(app, "school")
    english = _header(rep.get(PAGE).get_data(as_text=True))
    assert rep.post("/language", data={"language": "vi", "next": PAGE}).status_code == 302
    vietnamese = _header(rep.get(PAGE).get_data(as_text=True))
    skip = Translations.load(CATALOGS, ["vi"]).gettext("Skip to main content")
    assert skip != "Skip to main content"
    assert skip in vietnamese and skip not in english


def test_a_fragment_with_a_form_token_is_never_kept(app, world):
    source = ("{% call kept_fragment('form') %}"
              '<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">{% endcall %}')
    with app.test_request_context("/"):
        with pytest.raises(layout.FragmentRefused):
            render_template_string(source)
        with pytest.raises(layout.FragmentRefused):
            render_template_string(source)  # refused again: nothing was kept
    assert _fragments(app).hits["form"] == 0
    slots = "{% call kept_fragment('slots') %}<form>{{ form_token }}</form>{% endcall %}"
    with app.test_request_context("/"), pytest.raises(layout.FragmentRefused):
        render_template_string(slots)  # a slot with no token to fill it: never sent as is


@pytest.mark.parametrize("language", ["en", "vi"])
def test_bound_gettext_translates_and_formats_as_flask_babel(app, world, language):
    source = '{{ _("Meeting of %(table)s", table="<b>") }}|{{ _("Skip to main content") }}'
    with app.test_request_context("/"), force_locale(language):
        drawn = render_template_string(source)
        expected = (f'{babel_gettext("Meeting of %(table)s", table="&lt;b&gt;")}|'
                    f'{babel_gettext("Skip to main content")}')
    assert drawn == expected


def test_kept_forms_carry_each_readers_own_token_and_keep_none(app, world):
    mid = open_meeting(world)
    pages = {}
    for key in ("chair", "manager"):
        web = signed_in(app, key)
        web.get(PAGE)
        pages[key] = web.get(PAGE).get_data(as_text=True)
    pages["agenda"] = signed_in(app, "chair").get(f"/meetings/{mid}").get_data(as_text=True)
    assert _fragments(app).hits["tools"] >= 2, "the tools were not kept"
    for html in pages.values():
        tokens = _TOKEN.findall(html)
        assert len(tokens) >= 3 and len(set(tokens)) == 1, "a form without this reader's token"
        assert layout.FORM_TOKEN not in html
    assert len({_TOKEN.findall(html)[0] for html in pages.values()}) == 3
    kept = "".join(_fragments(app)._kept.values())
    assert "csrf_token" not in kept
    assert not any(_TOKEN.findall(html)[0] in kept for html in pages.values())


def _unsigned(html: str) -> str:
    """The page with each CSRF token reduced to the session's own token (no time signature)."""
    return re.sub(r'(name="csrf_token" value="[^".]+)\.[^"]*"', r'\1"', html)


def _kept_agenda(app):
    entries = app.extensions["hubtable_agenda_cache"]._entries
    assert entries, "no agenda kept"
    return next(reversed(entries.values()))


def test_a_kept_agenda_page_is_each_readers_own_and_follows_their_choices(app, world):
    mid = open_meeting(world)
    chair = signed_in(app, "chair")
    first = chair.get(f"/meetings/{mid}").get_data(as_text=True)
    again = chair.get(f"/meetings/{mid}").get_data(as_text=True)
    assert len(_kept_agenda(app).pages) == 1, "the chair's page was not kept"
    # The same reader, the same token: the same page. The token is signed with the second it
    # was drawn in, so two requests either side of a second differ in that signature only.
    assert _unsigned(again) == _unsigned(first)
    _add_cochair(world)
    cochair = signed_in(app, "cochair")
    theirs = cochair.get(f"/meetings/{mid}").get_data(as_text=True)
    assert "Co-chair ·" in theirs and "Co-chair ·" not in first
    assert not set(_TOKEN.findall(theirs)) & set(_TOKEN.findall(first))
    assert cochair.post("/display", data={"large": "1", "next": "/"}).status_code == 302
    assert '<body class="large' in cochair.get(f"/meetings/{mid}").get_data(as_text=True)
    assert '<body class="large' not in chair.get(f"/meetings/{mid}").get_data(as_text=True)


def test_a_waiting_message_is_shown_once_on_a_page_drawn_for_it(app, world):
    mid = open_meeting(world)
    chair = signed_in(app, "chair")
    chair.get(f"/meetings/{mid}")
    with chair.client.session_transaction() as session:
        session["_flashes"] = [("info", "A message for this chair")]
    assert "A message for this chair" in chair.get(f"/meetings/{mid}").get_data(as_text=True)
    assert "A message for this chair" not in chair.get(f"/meetings/{mid}").get_data(as_text=True)
