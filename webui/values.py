"""Whole numbers and text from the outside world, bounded before they reach the database.

Why: `str.isdigit()` accepts "²" that `int()` refuses, and an id beyond the database's integer
range (PostgreSQL's `integer` ends at 2**31 - 1) makes the driver fail with a 500. Every id,
offset and count an adapter reads goes through `bounded_int` (or the `<id:...>` URL converter)
so that such input is simply "not found" or a clear 400.
"""

from __future__ import annotations

import re

from werkzeug.routing import BaseConverter, ValidationError

MAX_INT = 2**31 - 1  # the largest value of an SQL `integer` column on both databases
_ASCII_DIGITS = re.compile(r"[0-9]{1,12}")


def bounded_int(raw: object, *, low: int = 0, high: int = MAX_INT) -> int | None:
    """`raw` as an int within [low, high] when it is plain ASCII digits, else None."""
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    if not _ASCII_DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def clean_text(raw: str) -> str | None:
    """`raw` without what no database column can hold (NUL, lone surrogates); None if it had any."""
    if "\x00" in raw:
        return None
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return raw


class IdConverter(BaseConverter):
    """`<id:name>`: a database id, ASCII digits within the integer range (else a 404)."""

    regex = r"[0-9]{1,12}"
    weight = 50

    def to_python(self, value: str) -> int:
        number = bounded_int(value, low=1)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value: int | str) -> str:  # werkzeug passes what url_for was given
        return str(int(value))


def _unstorable(value: str) -> bool:
    return clean_text(value) is None


def refuse_unstorable_input() -> None:
    """Before every request: a NUL or a lone surrogate in the query or a form is a 400.

    No database column can hold them (PostgreSQL refuses NUL in text, neither encodes a lone
    surrogate), so they are refused here once rather than failing deep in a command.
    """
    from flask import abort, request

    sources = [request.args]
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form)
    for source in sources:
        for key, value in source.items(multi=True):
            if _unstorable(key) or _unstorable(value):
                abort(400, description="The request holds characters that cannot be stored "
                                       "(a NUL or an unpaired surrogate). Remove them and try "
                                       "again.")
