"""Is the application database initialised and migrated? Asked where a command opens it, so
that an operator reads "run hubtable init" instead of a driver's undefined-table error.

Cheap: one read of Alembic's revision table, compared with the head of migrations/. A database
whose schema was made without Alembic (the tests' metadata.create_all) has no revision table;
it is taken as current when its tables are there.
"""

from __future__ import annotations

from functools import cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from workflow.runtime import Runtime

NOT_INITIALISED = "database not initialised or not up to date: run hubtable init"


class SchemaNotCurrent(Exception):
    """The database lacks hubtable's tables, or is behind (or ahead of) this version's."""


@cache
def _heads() -> frozenset[str]:
    from workflow.setup import alembic_config

    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


@cache
def _known() -> frozenset[str]:
    from workflow.setup import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return frozenset(r.revision for r in script.walk_revisions())


def require_current_schema(runtime: Runtime) -> None:
    """Raise SchemaNotCurrent unless the database is at this version's migration head."""
    with runtime.engine.connect() as connection:
        current = frozenset(MigrationContext.configure(connection).get_current_heads())
        if not current:
            if not inspect(connection).has_table("situations"):
                raise SchemaNotCurrent(NOT_INITIALISED)
            return
    if current == _heads():
        return
    if not current <= _known():
        raise SchemaNotCurrent(
            f"the database is at revision {', '.join(sorted(current))}, which this version of "
            "hubtable does not know: upgrade hubtable")
    raise SchemaNotCurrent(NOT_INITIALISED)


def is_current(runtime: Runtime) -> bool:
    try:
        require_current_schema(runtime)
    except SchemaNotCurrent:
        return False
    return True
