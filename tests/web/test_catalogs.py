"""Every message a person can see has its Vietnamese text, and the compiled catalogs are the
ones the .po files say (a fresh install has no build step)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "webui" / "translations"


def _po(lang: str):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


def _texts(message) -> tuple[str, ...]:
    string = message.string
    return tuple(string) if isinstance(string, tuple | list) else (string,)


def _key(msgid) -> str:
    return msgid if isinstance(msgid, str) else tuple(msgid)[0]


def test_no_untranslated_or_fuzzy_msgid_in_the_vietnamese_catalog():
    missing = [m.id for m in _po("vi") if m.id and (m.fuzzy or not all(_texts(m)))]
    assert missing == []


def test_the_catalogs_hold_every_msgid_of_the_template():
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    for lang in ("en", "vi"):
        held = {m.id if isinstance(m.id, str) else m.id[0] for m in _po(lang) if m.id}
        assert template - held == set(), lang


def test_compiled_catalogs_match_their_sources():
    for lang in ("en", "vi"):
        with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo", "rb") as f:
            compiled = {_key(m.id): _texts(m) for m in read_mo(f) if m.id}
        source = {_key(m.id): _texts(m) for m in _po(lang) if m.id and not m.fuzzy}
        assert compiled == source, f"{lang}: run pybabel compile (webui/translations/README.md)"
