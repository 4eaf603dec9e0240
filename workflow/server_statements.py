"""Statements prepared on the PostgreSQL server once per connection: the one read
(workflow.prepared) and the one write (workflow.appends) both run through this.

Why one place: a server keeps what a connection asked it to PREPARE until that connection
closes, whatever becomes of the transaction (PREPARE outlives a rollback). So what a connection
holds is tracked on its pool record (whose info lives and dies with the DBAPI connection) and
marked only once the PREPARE succeeded: the mark and the server never disagree, whatever fails
after it. Names come from one counter per process (next() is atomic: threads of a web process
never share a name).

Someone else can still drop them (DEALLOCATE or DISCARD ALL sent on the connection, a pooler
that resets it): the command that finds its statement gone fails, and the connection starts
again from nothing (`forget_if_dropped`): its next PREPARE first deallocates whatever the
server still holds (a drop of some statements only would otherwise leave names that the
marks forgot and a new PREPARE refuses), so it fails once instead of on every command until
the connection closes.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import Connection

_HELD = "hubtable.prepared"
#: set on a connection whose marks were forgotten: the server is emptied before the next PREPARE
_RESET = "hubtable.prepared.reset"
#: PostgreSQL's SQLSTATE for "prepared statement ... does not exist"
_NO_SUCH_STATEMENT = "26000"
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
        if connection.connection.info.pop(_RESET, False):
            cursor.execute("DEALLOCATE ALL")
        cursor.execute(f"PREPARE {name} AS {sql}")
        names.add(name)


def forget_if_dropped(connection: Connection, error: BaseException) -> None:
    """A statement this connection was marked as holding is gone (dropped from outside):
    forget every mark, and empty the server at the next PREPARE, so the connection's next
    transaction prepares what it needs again from nothing."""
    if getattr(error, "pgcode", None) == _NO_SUCH_STATEMENT:
        held(connection).clear()
        connection.connection.info[_RESET] = True
