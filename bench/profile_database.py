"""Where the commands' database work goes: bench_ceiling's replay with one part taken away.

Why: the ceiling says how far the database work alone reaches; this says what in it costs.
The seven commands are recorded once (bench_ceiling), then replayed by four clients on fresh
copies of the starting database, as they are and with one part removed at a time: the one
read of each command, the foreign keys, the data-version triggers. Each figure is beside the
full replay of the same round (the machine is shared: only figures of one round compare).
A part removed here is a measurement, never a proposal: each is a guarantee the product keeps.

    .venv/bin/python -m bench.profile_database [--rounds N] [--per-worker N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable

from sqlalchemy import create_engine, text

from bench.bench_ceiling import Command, record, replay
from bench.bench_transitions import WARM_UP, WORKERS
from bench.common import fresh_pg_database
from bench.lifecycle import build_world

#: SQL whose rows are the statements that take a part away from a replayed database
_TRIGGERS = ("SELECT format('DROP TRIGGER hubtable_data_version ON %I', event_object_table) "
             "FROM information_schema.triggers WHERE trigger_name = 'hubtable_data_version' "
             "GROUP BY event_object_table")
_FOREIGN_KEYS = ("SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, "
                 "conname) FROM pg_constraint WHERE contype = 'f'")


def _no_reads(command: Command) -> Command:
    return [q for q in command if not q.startswith(b"EXECUTE hubtable_read_")]


#: name -> (what each command sends instead, SQL listing the statements that alter the copy)
PARTS: dict[str, tuple[Callable[[Command], Command], str | None]] = {
    "as recorded": (lambda command: command, None),
    "without the reads": (_no_reads, None),
    "without foreign keys": (lambda command: command, _FOREIGN_KEYS),
    "without data-version triggers": (lambda command: command, _TRIGGERS),
}


def _take_away(url: str, listing: str | None) -> None:
    if listing is None:
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for (statement,) in connection.execute(text(listing)).all():
            connection.execute(text(statement))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--per-worker", type=int, default=150)
    args = parser.parse_args()
    if args.rounds < 1 or args.per_worker < 1:
        parser.error("--rounds and --per-worker take a whole number of 1 or more")
    sys.path.insert(0, "tests")
    with tempfile.TemporaryDirectory() as tmp, \
            fresh_pg_database("hubtable_profile_db") as start:
        keystore = f"sqlite:///{tmp}/keys.db"
        ids = build_world(start, keystore)
        with fresh_pg_database("hubtable_profile_db_recorded", copy_of=start) as recorded:
            prepares, lifecycles = record(recorded, keystore, ids,
                                           WORKERS * (WARM_UP + args.per_worker))
        for round_ in range(1, args.rounds + 1):
            full = 0.0
            for name, (change, listing) in PARTS.items():
                replayed = [[change(command) for command in life] for life in lifecycles]
                with fresh_pg_database("hubtable_profile_db_replayed", copy_of=start) as url:
                    _take_away(url, listing)
                    tps, backends, whole = replay(url, prepares, replayed)
                full = full or tps
                print(f"round {round_}  {name:30s} {tps:8.1f} transitions/s "
                      f"({tps / full:4.2f} of as recorded)  backends {backends:.3f}, "
                      f"machine {whole:.3f} ms CPU per command", flush=True)


if __name__ == "__main__":
    main()
