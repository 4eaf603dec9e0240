"""Benchmark: notifications dispatched per second to a local SMTP server.

In one run: start an aiosmtpd server on a free localhost port, write N outbox events (each
to one agency, so one email each) into a fresh database, time `dispatch_once` from outbox to
accepted email, then resend the very same messages with raw smtplib over one connection (the
baseline: SMTP and nothing else). The ratio says what the dispatcher's database work,
claiming and rendering cost on top of the wire.

    .venv/bin/python -m bench.bench_notifications [--database-url URL] [--events N]

`run(database_url)` is what the bench runner calls: None means a fresh SQLite file, a
PostgreSQL URL means a fresh database created on that server (and dropped afterwards).
"""

from __future__ import annotations

import argparse
import json
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from hubtable.config import Settings, normalise_database_url
from notifications.dispatch import dispatch_once
from workflow import directory
from workflow.models import Base, Situation
from workflow.outbox import emit
from workflow.runtime import Runtime

EVENTS = 1000
AGENCIES = 10
ROUNDS = 5
# Per email the dispatcher renders two templates and shares a few database round trips per
# batch with its neighbours: it should keep at least half of what raw SMTP does on the same
# kind of connection to the same server.
GOAL_RATIO = 0.5


class Spool:
    """aiosmtpd handler (run in the server process): each message's raw bytes to a file.

    The file's first line is the recipient, so the baseline can resend the same message.
    """

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)
        self.count = 0

    @classmethod
    def from_cli(cls, parser, *args):  # type: ignore[no-untyped-def]
        if len(args) != 1:
            parser.error("Spool takes one argument: the directory to write messages to")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.count += 1
        raw = envelope.original_content or envelope.content
        (self.directory / f"{self.count:07d}.eml").write_bytes(
            envelope.rcpt_tos[0].encode() + b"\n" + raw)
        return "250 OK"


@contextmanager
def _smtp_server(spool: Path) -> Iterator[int]:
    """aiosmtpd in a process of its own (in-process, it would fight the client for the GIL)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "bench.bench_notifications.Spool", str(spool)],
        cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the benchmark's SMTP server did not start") from None
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def _spooled(spool: Path) -> list[tuple[str, bytes]]:
    """The messages the server received since the last call (and forget them)."""
    messages = []
    for path in sorted(spool.glob("*.eml")):
        rcpt, _, raw = path.read_bytes().partition(b"\n")
        messages.append((rcpt.decode(), raw))
        path.unlink()
    return messages


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _fresh_database(database_url: str | None, workdir: Path) -> Iterator[tuple[str, str]]:
    """A new, empty database with the schema: (url, backend name)."""
    if not database_url or database_url.startswith("sqlite"):
        url = f"sqlite:///{workdir / 'bench.db'}"
        engine = create_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url, "sqlite"
        return
    name = f"hubtable_bench_{uuid.uuid4().hex[:10]}"
    database_url = normalise_database_url(database_url)
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = database_url.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    try:
        yield url, "postgresql"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _community(runtime: Runtime) -> tuple[int, list[int], list[int]]:
    """A table, agencies without users (so email only) and a situation per agency."""
    with runtime.command() as s:
        table = directory.create_table(s, code="BENCH", name="Bench Situation Table",
                                       country="CA", subdivision="ON",
                                       timezone="America/Toronto")
        agencies = [directory.create_agency(
            s, slug=f"agency-{i}", name=f"Agency {i}", sector="police",
            contact_email=f"agency{i}@bench.test", table_ids=[table.id]) for i in range(AGENCIES)]
        situations = [Situation(ref=f"BENCH-{i:06d}", table_id=table.id,
                                originating_agency_id=agencies[i].id, stage="accepted",
                                situation_type="person", age_group="25-29", gender="female",
                                taxonomy_version="1") for i in range(AGENCIES)]
        s.add_all(situations)
        s.flush()
        return table.id, [a.id for a in agencies], [x.id for x in situations]


def _write_events(runtime: Runtime, community: tuple[int, list[int], list[int]],
                  count: int) -> None:
    table_id, agency_ids, situation_ids = community
    with runtime.command() as s:
        for n in range(count):
            emit(s, "situation.accepted", table_id=table_id,
                 situation=s.get(Situation, situation_ids[n % AGENCIES]),
                 agency_ids=[agency_ids[n % AGENCIES]])


def _baseline(port: int, messages: list[tuple[str, bytes]]) -> float:
    """Raw smtplib: the same messages over one connection; the seconds it took."""
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for rcpt, raw in messages:
            smtp.sendmail("hubtable@bench.test", [rcpt], raw)
    return time.perf_counter() - start


def _rounds(events: int) -> list[int]:
    sizes = [events // ROUNDS] * ROUNDS
    sizes[-1] += events - sum(sizes)
    return [n for n in sizes if n]


def run(database_url: str | None = None, *, events: int = EVENTS) -> list[dict]:
    """Dispatch `events` notifications to a local SMTP server; one result dict per measure."""
    with tempfile.TemporaryDirectory() as tmp:
        spool = Path(tmp) / "spool"
        spool.mkdir()
        with _smtp_server(spool) as port, _fresh_database(database_url, Path(tmp)) as (
                url, backend):
            runtime = Runtime(database_url=url, keystore_url=f"sqlite:///{tmp}/keystore.db",
                              identity_key="bench-master-key")
            settings = Settings(data_dir=Path(tmp), database_url=url,
                                keystore_url=f"sqlite:///{tmp}/keystore.db",
                                identity_key="bench-master-key", secret_key="bench",
                                smtp_url=f"smtp://127.0.0.1:{port}",
                                mail_from="hubtable@bench.test",
                                base_url="https://hub.bench.test", prefect_api_url=None)
            elapsed = baseline_elapsed = 0.0
            try:
                community = _community(runtime)
                # rounds alternate dispatcher and baseline, so that both see the same load
                for size in _rounds(events):
                    _write_events(runtime, community, size)
                    start = time.perf_counter()
                    result = dispatch_once(runtime, settings)
                    elapsed += time.perf_counter() - start
                    sent = _spooled(spool)
                    if result.sent != size or len(sent) != size:
                        raise RuntimeError(
                            f"expected {size} emails, dispatched {result.sent} and received "
                            f"{len(sent)} ({result.as_dict()})")
                    baseline_elapsed += _baseline(port, sent)
                    _spooled(spool)
            finally:
                runtime.dispose()
    baseline = events / baseline_elapsed
    value = events / elapsed
    ratio = value / baseline
    return [{
        "name": f"notifications dispatched per second, outbox to SMTP ({backend}, "
                f"{events} emails)",
        "value": round(value, 1),
        "unit": "notifications/s",
        "baseline": round(baseline, 1),
        "ratio": round(ratio, 3),
        "goal": f"ratio >= {GOAL_RATIO} of raw smtplib on one connection",
        "met": ratio >= GOAL_RATIO,
    }]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL server URL (a fresh database is made there); "
                             "default: a fresh SQLite file")
    parser.add_argument("--events", type=int, default=EVENTS)
    args = parser.parse_args()
    if args.events < 1:
        parser.error("--events must be at least 1")
    print(json.dumps(run(args.database_url, events=args.events), indent=2))


if __name__ == "__main__":
    main()
