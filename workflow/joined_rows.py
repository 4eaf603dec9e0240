"""Child rows carried in one column of a single read, on both databases.

Why: the lean command path reads a situation and its children (factors, involvements, grants,
tasks, members) in one statement (workflow.situation_context); each kind of child comes back
as one string, its rows comma-joined and their fields `|`-joined, and is split here again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String


class joined(FunctionElement[str]):  # noqa: N801 (an SQL function, named as SQL names them)
    """The values of a column, comma-joined, on both databases (string_agg / group_concat)."""

    type = String()
    inherit_cache = True


@compiles(joined, "postgresql")
def _string_agg(element: joined, compiler: Any, **kw: Any) -> str:
    return f"string_agg({compiler.process(element.clauses, **kw)}, ',')"


@compiles(joined)
def _group_concat(element: joined, compiler: Any, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)}, ',')"


def as_text(column: Any) -> Any:
    return func.cast(column, String())


def parts(value: str | None) -> list[list[str]]:
    """A `joined` column back into its rows: codes are slugs (workflow.reference checks them),
    so neither separator can occur inside one."""
    return [item.split("|") for item in value.split(",")] if value else []
