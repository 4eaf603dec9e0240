"""The words of a report (titles, row and column names, units, notes, the scope line) as English
text that remembers its template and named parameters, so that an adapter can say it in its
reader's language.

Why a str: a report is plain data that the exports, the stored monthly body and the tests read
as text, and they keep reading the very same English; the web adapter looks `template` up in
its catalog and fills `params` in (each of them a Phrase too, or a value that needs no
translation: a number, a date, a code-list label already in the report's language). A float
parameter is written here as `:g` writes it (12.5, 40) and by the adapter in its reader's
locale (12,5 in Vietnamese). The
templates are literals, listed for extraction by tools/core_messages.py, as the core's error
messages are (workflow/errors.py).
"""

from __future__ import annotations

from typing import Any


class Phrase(str):
    """English text (`template % params`) that keeps its msgid and its parameters."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Phrase:
        shown = {k: f"{v:g}" if isinstance(v, float) else v for k, v in params.items()}
        text = super().__new__(cls, template % shown if params else template)
        text.template = template
        text.params = params
        return text

    def __deepcopy__(self, memo: dict[int, Any]) -> Phrase:
        return self  # immutable, like the str it is (dataclasses.asdict copies deeply)
