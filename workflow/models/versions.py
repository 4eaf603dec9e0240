"""The application database's data version on PostgreSQL: a commit counter no command writes.

Why: a page kept between requests (the meeting's agenda) must end as soon as anything it shows
changes, whichever process commits; and that test must see only this database (PostgreSQL's
snapshot also moves with every other database of the server, such as Prefect's). So every
transaction that changes a table here bumps a counter (once, from a statement trigger whose
own condition skips the call once the transaction has bumped): no command, flow or raw
statement can forget it, and it becomes visible exactly when the change does. The counter is
spread over as many rows as transactions write at once, each bump taking a row no other holds,
so that concurrent commands never queue on one row; the version is their sum
(workflow.data_version). SQLite needs none of this (its `PRAGMA data_version` is per file):
the table stays empty there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Connection, MetaData, event, inspect, text
from sqlalchemy.orm import Mapped, mapped_column

from workflow.models.base import Base

TABLE = "data_versions"
FUNCTION = "hubtable_bump_data_version"
TRIGGER = "hubtable_data_version"


# Once per transaction: later statements of the same transaction find the local setting and
# return at once (a savepoint rolled back takes the setting with it, and the bump). The row is
# one no other transaction holds (SKIP LOCKED), else a new one: a bump never waits for a lock,
# so it can neither slow concurrent commands down nor take part in a deadlock. The table grows
# only to the number of transactions that ever wrote at the same time.
_BUMP = """
CREATE OR REPLACE FUNCTION hubtable_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('hubtable.version_bumped', true) = 'yes' THEN
    RETURN NULL;
  END IF;
  PERFORM set_config('hubtable.version_bumped', 'yes', true);
  UPDATE data_versions SET n = n + 1
   WHERE shard = (SELECT shard FROM data_versions LIMIT 1 FOR UPDATE SKIP LOCKED);
  IF NOT FOUND THEN
    INSERT INTO data_versions (shard, n) VALUES (txid_current(), 1);
  END IF;
  RETURN NULL;
END $$"""


class DataVersionShard(Base):
    """One share of the commit counter (PostgreSQL; bumped by triggers only)."""

    __tablename__ = TABLE
    shard: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


#: The trigger's own condition: once the transaction has bumped, a statement's trigger is not
#: even called. Why: a command's one write is a dozen statements, each of which called the
#: PL/pgSQL function only for it to return (measured with bench/bench_ceiling.py: the
#: server's CPU per command 0.97-1.03 -> 0.90-0.92 ms). The function keeps its own check (one
#: statement that changes two tables queues both triggers before either runs).
_NOT_YET = "current_setting('hubtable.version_bumped', true) IS DISTINCT FROM 'yes'"


def install_triggers(connection: Connection, tables: list[str], *,
                     only_until_bumped: bool = True) -> None:
    """The bump function, and a statement trigger on each of `tables` (PostgreSQL only);
    `only_until_bumped=False` installs them as migration 0010 first did (its downgrade)."""
    if connection.dialect.name != "postgresql":
        return
    connection.execute(text(_BUMP))
    when = f"WHEN ({_NOT_YET}) " if only_until_bumped else ""
    for name in tables:
        if name == TABLE:
            continue
        connection.execute(text(f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{name}"'))
        connection.execute(text(
            f'CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{name}" '
            f"FOR EACH STATEMENT {when}EXECUTE FUNCTION {FUNCTION}()"))


def migrated_tables(connection: Connection) -> list[str]:
    """The tables a migration puts the triggers on: all of the database's, but the counter's
    own and Alembic's."""
    names = inspect(connection).get_table_names()
    return sorted(n for n in names if n not in ("alembic_version", TABLE))


def remove_triggers(connection: Connection, tables: list[str]) -> None:
    if connection.dialect.name != "postgresql":
        return
    for name in tables:
        connection.execute(text(f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{name}"'))
    connection.execute(text(f"DROP FUNCTION IF EXISTS {FUNCTION}()"))


@event.listens_for(Base.metadata, "after_create")
def _after_create(metadata: MetaData, connection: Connection, **_kw: Any) -> None:
    """`create_all` (tests, benchmarks, a fresh install) installs them too."""
    install_triggers(connection, [t.name for t in metadata.sorted_tables])
