"""An EXECUTE of a prepared statement with its parameters written in, byte for byte as the
driver writes them (psycopg2's `cursor.mogrify`), the common kinds without its adapters.

Why: psycopg2 adapts each parameter through its adapter protocol, 2 µs a whole number and 5 µs
a timestamp (measured here), and a command's one write carries about seventy of them: a tenth
of a command's Python went to it. Whole numbers, booleans, NULL and times are written here the
way the driver writes them; so is text that needs no escaping (ASCII without a quote, a
backslash, a percent sign or a NUL). Anything else still goes through the driver's own
quoting, in the same statement. `tests/integration/test_literals.py` checks the output is the
driver's own, for any mix of values.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any


def execute(cursor: Any, name: str, params: Sequence[Any]) -> bytes:
    """`EXECUTE name (params...)` as `cursor.mogrify` would give it."""
    if not params:
        return f"EXECUTE {name}".encode()
    parts: list[str] = []
    rest: list[Any] = []  # what the driver quotes: a %s in `parts` each
    for value in params:
        kind = type(value)
        if value is None:
            parts.append("NULL")
        elif kind is str and value.isascii() and _plain(value):
            parts.append(f"'{value}'")
        elif kind is int:
            parts.append(str(value) if value >= 0 else f" {value}")  # never "--": a comment
        elif kind is datetime:
            cast = "timestamptz" if value.tzinfo is not None else "timestamp"
            parts.append(f"'{value.isoformat()}'::{cast}")
        elif kind is bool:
            parts.append("true" if value else "false")
        else:
            parts.append("%s")
            rest.append(value)
    text = f"EXECUTE {name} ({', '.join(parts)})"
    if rest:  # no part written here has a % in it: the driver sees only its own markers
        return cursor.mogrify(text, rest)  # type: ignore[no-any-return]
    return text.encode()


def _plain(text: str) -> bool:
    """Text that goes between two quotes as it is, whatever the server's settings."""
    return not ("'" in text or "\\" in text or "%" in text or "\x00" in text)
