"""Statements prepared on the PostgreSQL server once per connection: the one read
(workflow.prepared) and the one write (workflow.appends) both run through this.

Why one place: a server keeps what a connection asked it to PREPARE until that connection
closes, whatever becomes of the transaction (PREPARE outlives a rollback). So what a connection
holds is tracked on its pool record (whose info lives and dies with the DBAPI connection) and
marked only once the PREPARE succeeded: the mark and the server never disagree, whatever fails
after it. Names come from one counter per process (next() is atomic: threads of a web process
never share a name).
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import Connection

_HELD = "hubtable.prepared"
_NUMBERS = itertools.count(1)


def new_name(kind: str) -> str:
    """A name no other statement of this process has."""
    return f"hubtable_{kind}_{next(_NUMBERS)}"


def held(connection: Connection) -> set[str]:
    """The names this connection's server has prepared."""
    found: set[str] = connection.connection.info.setdefault(_HELD, set())
    return found


def prepare_once(cursor: Any, connection: Connection, name: str, sql: str) -> None:
    """PREPARE `sql` as `name` on this connection, unless it already holds it (its own round
    trip, marked when it succeeds)."""
    names = held(connection)
    if name not in names:
        cursor.execute(f"PREPARE {name} AS {sql}")
        names.add(name)
