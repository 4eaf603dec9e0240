"""A code-list label kept in English, read back in another language.

Why: a stored monthly report keeps its row labels as text in English (its body is the report
as built, workflow/reports/monthly.py), while a Vietnamese reader sees the live report's labels
in Vietnamese. The reference data knows both labels of every code, so an English label that
names exactly one translation can be given in the reader's language; one that two codes share
with different translations, or any other text, is left as stored.
"""

from __future__ import annotations

from functools import lru_cache

from workflow.reference.catalog import KINDS, load_catalog


@lru_cache(maxsize=4)
def _index(lang: str) -> dict[str, str]:
    catalog = load_catalog()
    found: dict[str, set[str]] = {}
    for kind in KINDS:
        for code in catalog.items(kind):
            found.setdefault(catalog.label(kind, code, "en"), set()).add(
                catalog.label(kind, code, lang))
    return {english: next(iter(said)) for english, said in found.items() if len(said) == 1}


def relabel(english: str, lang: str) -> str | None:
    """`english`, a code's label, in `lang`; None when no single code-list label reads so."""
    return None if lang == "en" else _index(lang).get(english)
