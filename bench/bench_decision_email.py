"""From a chair's decision to the email at the SMTP server, in the embedded mode (`hubtable up`).

What is timed: the chair accepts a situation over HTTP (the meeting page's decide form); the
web request commits; the long-running dispatch-listener flow run that `up` keeps going sees the
new outbox event (a 0.1 s poll of the newest event id on SQLite, NOTIFY on PostgreSQL) and runs
a pass at once. The clock starts when the decision's transaction wrote its outbox event (its
`created_at`, a few ms before the commit) and stops when the "situation.accepted" email is at
the local SMTP server (both wall clocks of this machine). p50 and p95 over 20 decisions, one
after another.

Baseline: the decision's own HTTP request in the same run.
"""

from __future__ import annotations

import email
import http.cookiejar
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from aiosmtpd.controller import Controller

from bench.common import result
from workflow import directory, meetings, setup, situations
from workflow.models import Table
from workflow.runtime import Runtime

DECISIONS = 20
PASSWORD = "bench-password-2026"
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Box:
    def __init__(self) -> None:
        self.arrivals: list[tuple[float, bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.arrivals.append((time.time(), envelope.original_content or envelope.content))
        return "250 OK"

    def accepted_count(self) -> int:
        return sum(1 for _, raw in self.arrivals
                   if email.message_from_bytes(raw)["X-Hubtable-Event"] == "situation.accepted")


def _community(runtime: Runtime) -> tuple[list[int], int]:
    """A table, six agencies of six sectors, a chair; 20 submitted situations; an open meeting."""
    from workflow.situations import Filter1

    with runtime.command() as s:
        table = directory.create_table(s, code="BENCH", name="Bench table", country="CA",
                                       subdivision="ON", timezone="America/Toronto")
        agencies = {}
        for slug, sector in (("police", "police"), ("school", "education"),
                             ("cmha", "mental_health"), ("hospital", "health"),
                             ("housing", "housing"), ("cas", "child_protection")):
            agencies[slug] = directory.create_agency(
                s, slug=f"bench-{slug}", name=slug, sector=sector,
                contact_email=f"{slug}@bench.test", table_ids=[table.id])
        password_hash = directory.hash_password(PASSWORD)
        rep = directory.create_user(s, email="school@bench.test", display_name="School",
                                    password="", role="agency_rep",
                                    agency_id=agencies["school"].id, password_hash=password_hash)
        chair = directory.create_user(s, email="chair@bench.test", display_name="Chair",
                                      password="", role="chair", agency_id=agencies["police"].id,
                                      table_ids=[table.id], password_hash=password_hash)
        facts = Filter1(situation_type="person", age_group="25-29", gender="female",
                        risk_factors=["mental_health.diagnosed", "housing.transient"],
                        aer_reasons=["mental_health.diagnosed"], options_exhausted=True,
                        needs_multiple_agencies=True, harm_probable_imminent=True,
                        consent="not_possible")
        ids = []
        for _ in range(DECISIONS):
            situation = situations.draft(s, rep, table.id, facts)
            situations.submit(s, rep, situation.id)
            ids.append(situation.id)
        meeting = meetings.next_meeting(s, s.get(Table, table.id))
        meetings.open_meeting(s, chair, meeting.id)
        for agency in agencies.values():
            meetings.record_attendance(s, chair, meeting.id, agency.id, present=True,
                                       confidentiality_ack=True)
        return ids, meeting.id


class _Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def post(self, path: str, form: dict[str, str], *, token_from: str) -> float:
        with self.opener.open(self.base + token_from, timeout=30) as response:
            page = response.read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page)
        if token is None:
            raise RuntimeError(f"no CSRF token on {token_from}")
        body = urllib.parse.urlencode({"csrf_token": token.group(1), **form}).encode()
        start = time.perf_counter()
        with self.opener.open(self.base + path, data=body, timeout=30) as response:
            response.read()
        return time.perf_counter() - start


def _committed_at(data: Path, situation_id: int) -> float:
    """When the decision's transaction wrote its event (a few ms before its commit)."""
    from sqlalchemy import create_engine, select

    from workflow.models import OutboxEvent

    engine = create_engine(f"sqlite:///{data / 'hubtable.db'}")
    try:
        with engine.connect() as conn:
            created = conn.scalar(select(OutboxEvent.created_at).where(
                OutboxEvent.situation_id == situation_id,
                OutboxEvent.event_type == "situation.accepted"))
    finally:
        engine.dispose()
    assert created is not None
    if created.tzinfo is None:
        from datetime import UTC

        created = created.replace(tzinfo=UTC)
    return created.timestamp()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(database_url: str | None) -> list[dict]:
    """The embedded mode is SQLite in the data dir by design; `database_url` is not used."""
    box = _Box()
    smtp = Controller(box, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        runtime = Runtime(database_url=f"sqlite:///{data / 'hubtable.db'}",
                          keystore_url=f"sqlite:///{data / 'keystore.db'}",
                          identity_key="bench-identity")
        setup.initialise(runtime)
        ids, meeting_id = _community(runtime)
        runtime.dispose()
        port = _free_port()
        process = _start_up(data, port, smtp.port)
        try:
            latencies, requests = _decide_all(f"http://127.0.0.1:{port}", box, data, ids,
                                              meeting_id)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
            smtp.stop()
    median, p95 = statistics.median(latencies), _p95(latencies)
    request = statistics.median(requests)
    return [
        result("decision to email, embedded (p50 of 20)", median, "s", request,
               "p95 < 1 s", p95 < 1.0),
        result("decision to email, embedded (p95 of 20)", p95, "s", request, "p95 < 1 s",
               p95 < 1.0),
    ]


def _start_up(data: Path, port: int, smtp_port: int) -> subprocess.Popen[bytes]:
    """`hubtable up` on the data dir, returned once it says it is up."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "HUBTABLE_"))}
    env.update(HUBTABLE_DATA_DIR=str(data), HUBTABLE_SECRET_KEY="bench-secret",
               HUBTABLE_IDENTITY_KEY="bench-identity",
               HUBTABLE_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
               HUBTABLE_MAIL_FROM="hubtable@bench.test")
    process = subprocess.Popen(
        [sys.executable, "-m", "hubtable.cli", "up", "--port", str(port), "--prefect-port",
         str(_free_port())], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True)
    ready = threading.Event()

    def watch() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if b"hubtable is up" in line:
                ready.set()

    threading.Thread(target=watch, daemon=True).start()
    if not ready.wait(180):
        os.killpg(process.pid, signal.SIGKILL)
        raise RuntimeError("hubtable up did not come up within 180 s")
    return process


def _decide_all(base: str, box: _Box, data: Path, ids: list[int], meeting_id: int
                ) -> tuple[list[float], list[float]]:
    """Accept each situation through the web; (commit-to-mail latencies, request times)."""
    browser = _Browser(base)
    browser.post("/login", {"email": "chair@bench.test", "password": PASSWORD},
                 token_from="/login")
    latencies, requests = [], []
    for sid in ids:
        before = box.accepted_count()
        item = f"/meetings/{meeting_id}/situations/{sid}"
        decided = time.time()
        requests.append(browser.post(f"{item}/decide", {"decision": "accept"},
                                     token_from=item))
        deadline = decided + 120
        while box.accepted_count() == before:
            if time.time() > deadline:
                raise RuntimeError(f"no email for situation {sid} within 120 s")
            time.sleep(0.02)
        arrived = next(at for at, raw in reversed(box.arrivals)
                       if email.message_from_bytes(raw)["X-Hubtable-Event"]
                       == "situation.accepted")
        latencies.append(arrived - _committed_at(data, sid))
        time.sleep(0.5)  # each decision starts from quiet
    return latencies, requests


if __name__ == "__main__":
    import json

    print(json.dumps(run(None), indent=2))
