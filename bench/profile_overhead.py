"""What every command pays before its own work: the floor under issue 17's figures.

Why: the transitions goal needs a command's whole Python near 1 ms of CPU under load on this
machine (bench_transitions), and the profiles spread it thin. This measures the fixed parts
one at a time, each beside the bare driver, on PostgreSQL, in CPU microseconds per call:

- a transaction with one trivial statement: through `Runtime.command()` (the Session, the
  pool, the engine's events), through `engine.begin()`, through psycopg2 alone (BEGIN, the
  statement, COMMIT: three round trips) and as one string on an autocommit connection (one
  round trip), so the Session's share and a round trip's own cost both show;
- the Python objects a lean command builds besides its rows: the situation placeholder it
  returns (`situation_context.held`), a Transition and an OutboxEvent;
- psycopg2 turning one audit entry's nine values into text (`mogrify`), as the one write
  does for every row.

    .venv/bin/python -m bench.profile_overhead  (N=3000 calls each by default)
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bench.common import fresh_pg_database


def _cpu_us(call: Callable[[int], Any], n: int) -> float:
    """CPU microseconds per call, after n // 10 untimed calls (caches, prepared plans)."""
    for i in range(n // 10):
        call(i)
    start = time.process_time()
    for i in range(n):
        call(i)
    return (time.process_time() - start) / n * 1e6


def _transactions(url: str, keystore: str, n: int) -> list[tuple[str, float]]:
    from workflow.runtime import Runtime

    rt = Runtime(url, keystore, "bench-key")
    # The bare driver, connected as the product connects (workflow.db.make_engine).
    pooled = [rt.engine.raw_connection(), rt.engine.raw_connection()]
    plain, autocommit = (p.driver_connection for p in pooled)
    autocommit.autocommit = True

    def session(_: int) -> None:
        with rt.command() as s:
            cursor = s.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.execute("SELECT 1")
            cursor.close()

    def engine(_: int) -> None:
        with rt.engine.begin() as connection:
            cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.execute("SELECT 1")
            cursor.close()

    def driver(_: int) -> None:
        cursor = plain.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        plain.commit()

    def one_string(_: int) -> None:
        cursor = autocommit.cursor()
        cursor.execute("BEGIN; SELECT 1; COMMIT")
        cursor.close()

    try:
        return [("transaction: Runtime.command() (Session, pool)", _cpu_us(session, n)),
                ("transaction: engine.begin() (pool)", _cpu_us(engine, n)),
                ("transaction: psycopg2 (3 round trips)", _cpu_us(driver, n)),
                ("transaction: psycopg2, one string (1 round trip)", _cpu_us(one_string, n))]
    finally:
        autocommit.autocommit = False
        for connection in pooled:
            connection.close()
        rt.dispose()


def _objects(url: str, n: int) -> list[tuple[str, float]]:
    from sqlalchemy.orm import Session

    from workflow.db import make_engine
    from workflow.models import OutboxEvent, Transition
    from workflow.situation_context import held

    engine = make_engine(url)
    session = Session(engine)
    now = datetime.now(UTC)

    def placeholder(i: int) -> None:
        session.expunge_all()
        held(session, i + 1)

    def transition(i: int) -> None:
        Transition(id=i, situation_id=1, command="accept", from_stage="presented",
                   to_stage="accepted", actor_id=1, meeting_id=2, reason=None, at=now)

    def event(_: int) -> None:
        OutboxEvent(event_type="situation.accepted", table_id=1, situation_id=1,
                    agency_ids=[1], to_chairs=True, payload={"stage": "accepted"},
                    created_at=now)

    try:
        return [("situation placeholder (held)", _cpu_us(placeholder, n)),
                ("Transition(...)", _cpu_us(transition, n)),
                ("OutboxEvent(...)", _cpu_us(event, n))]
    finally:
        session.close()
        engine.dispose()


def _mogrify(url: str, n: int) -> list[tuple[str, float]]:
    from workflow.db import make_engine

    engine = make_engine(url)
    connection = engine.raw_connection()
    cursor = connection.cursor()
    now = datetime.now(UTC)
    detail = json.dumps({"from": "presented", "to": "accepted", "meeting_id": 3})
    row = ("situation:123", 5, now, 7, "situation.accept", 123, detail, "a" * 64, "b" * 64)
    statement = "EXECUTE hubtable_write_1 (" + ", ".join(["%s"] * len(row)) + ")"
    try:
        return [("mogrify: one audit entry (9 values)",
                 _cpu_us(lambda _: cursor.mogrify(statement, row), n)),
                ("mogrify: one datetime", _cpu_us(lambda _: cursor.mogrify("%s", (now,)), n))]
    finally:
        connection.close()
        engine.dispose()


def _calls() -> int:
    """N, the calls per part: a clear one-line error if it is not a positive whole number."""
    raw = os.environ.get("N", "3000")
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"N is the number of calls per part, a whole number of 1 or more, "
                         f"not {raw!r}")
    return int(raw)


def main() -> None:
    n = _calls()
    with fresh_pg_database("hubtable_overhead") as url, tempfile.TemporaryDirectory() as tmp:
        rows = [*_transactions(url, f"sqlite:///{tmp}/keys.db", n), *_objects(url, n),
                *_mogrify(url, n)]
    for name, micros in rows:
        print(f"{name:52s} {micros:8.1f} us CPU per call")


if __name__ == "__main__":
    main()
