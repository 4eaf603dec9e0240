"""Scale-out, for real, on one machine: what the README's "Scaling out" section describes.

1. Two fresh PostgreSQL databases: one for hubtable, one for Prefect.
2. A Prefect server on its own database, and an automation that marks a flow run Crashed when
   its heartbeats stop (Prefect's documented zombie detection: a worker killed outright cannot
   report its run's end itself).
3. `hubtable init` and a community (a table, agencies, a chair, an open meeting with situations
   on its agenda, one situation with deadlines already past).
4. Two `hubtable worker --pool scaleout` processes (the second starts once the first has
   registered the deployments), and two web processes (`python -m hubtable.webserver`), all
   against the one hubtable database, with an SMTP server here to receive the mail.
5. Drive it: situations created through the API (of either web process), the meeting's
   decisions taken through the web (alternating between the two web processes); two sweep
   runs at once; then, while decisions go on, SIGKILL the worker running the dispatch listener.
6. Show: every notification sent exactly once (the one in flight at the kill may arrive twice,
   with the same Message-ID), every due timer fired exactly once, the crashed run Crashed in
   Prefect, and the work completed by the other worker.

    .venv/bin/python tools/scaleout.py        exit 0 when everything held; figures as JSON

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust), as the tests do.
"""

from __future__ import annotations

import email
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

PG = os.environ.get("HUBTABLE_SCALEOUT_PG", "postgres@127.0.0.1:5432")
POOL = "scaleout"
DECISIONS = 8
API_SITUATIONS = 4
# On a quiet 2-core machine the run takes ~4 minutes; shared CI boxes get more room.
BUDGET_SECONDS = 600
started = time.monotonic()


def say(line: str) -> None:
    print(f"[{time.monotonic() - started:6.1f} s] {line}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(what: str, predicate: Callable[[], object], timeout: float) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"FAILED: {what} within {timeout:.0f} s")
        time.sleep(0.5)


@contextmanager
def databases() -> Iterator[tuple[str, str]]:
    suffix = uuid.uuid4().hex[:8]
    names = (f"scaleout_hub_{suffix}", f"scaleout_prefect_{suffix}")
    admin = create_engine(f"postgresql+psycopg2://{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield (f"postgresql+psycopg2://{PG}/{names[0]}",
               f"postgresql+asyncpg://{PG}/{names[1]}")
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Box:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        with self.lock:
            self.messages.append(envelope.original_content or envelope.content)
        return "250 OK"

    def message_ids(self) -> Counter[str]:
        with self.lock:
            return Counter(str(email.message_from_bytes(raw)["Message-ID"])
                           for raw in self.messages)


class Processes:
    """Children in groups of their own; every one is killed at the end whatever happens."""

    def __init__(self, logs: Path) -> None:
        self.logs, self.children = logs, {}  # type: ignore[var-annotated]

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:  # type: ignore[type-arg]
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        self.children[name] = process
        return process

    def kill(self, name: str) -> None:
        process = self.children[name]
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.children.values():
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.children.values():
            with suppress(subprocess.TimeoutExpired):
                process.wait(max(deadline - time.monotonic(), 0.1))
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class Prefect:
    def __init__(self, url: str) -> None:
        self.url = url

    def call(self, method: str, path: str, body: object = None) -> object:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,  # noqa: S310
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return json.loads(response.read() or b"null")

    def answers(self) -> bool:
        try:
            return self.call("GET", "/health") is True
        except OSError:
            return False

    def deployment_id(self, name: str) -> str | None:
        try:
            return str(self.call("GET", f"/deployments/name/{name}")["id"])  # type: ignore[index]
        except (OSError, KeyError):
            return None

    def run_deployment(self, name: str) -> str:
        found = self.deployment_id(name)
        assert found, name
        run = self.call("POST", f"/deployments/{found}/create_flow_run", {"tags": ["scaleout"]})
        return str(run["id"])  # type: ignore[index]

    def state(self, run_id: str) -> str:
        return str(self.call("GET", f"/flow_runs/{run_id}")["state"]["type"])  # type: ignore[index]

    def online_workers(self) -> int:
        workers = self.call("POST", f"/work_pools/{POOL}/workers/filter", {})
        return sum(1 for w in workers if w.get("status") == "ONLINE")  # type: ignore[union-attr]

    def runs(self, **flow_filter: object) -> list[dict]:  # type: ignore[type-arg]
        body = {"limit": 200, **flow_filter}
        return self.call("POST", "/flow_runs/filter", body)  # type: ignore[return-value]


ZOMBIES = {
    "name": "hubtable: crash flow runs whose heartbeats stopped",
    "trigger": {
        "type": "event", "posture": "Proactive", "threshold": 1, "within": 75,
        "after": ["prefect.flow-run.heartbeat"],
        "expect": ["prefect.flow-run.heartbeat", "prefect.flow-run.Completed",
                   "prefect.flow-run.Failed", "prefect.flow-run.Cancelled",
                   "prefect.flow-run.Crashed"],
        "match": {"prefect.resource.id": ["prefect.flow-run.*"]},
        "for_each": ["prefect.resource.id"],
    },
    "actions": [{"type": "change-flow-run-state", "state": "CRASHED",
                 "message": "no heartbeat: its worker died"}],
}


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def post(self, path: str, form: dict[str, str], *, token_from: str) -> int:
        with self.opener.open(self.base + token_from, timeout=30) as response:
            page = response.read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, f"no CSRF token on {token_from}"
        body = urllib.parse.urlencode({"csrf_token": token.group(1), **form}).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code


def api_create(base: str, token: str) -> int:
    body = json.dumps({"table": "PEEL", "situation_type": "person", "age_group": "25-29",
                       "gender": "female", "risk_factors": ["mental_health.diagnosed",
                                                            "housing.transient"],
                       "aer_reasons": ["mental_health.diagnosed"], "options_exhausted": True,
                       "needs_multiple_agencies": True, "harm_probable_imminent": True,
                       "consent": "not_possible", "submit": True}).encode()
    request = urllib.request.Request(f"{base}/api/v1/situations", data=body,  # noqa: S310
                                     method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"FAILED: POST /api/v1/situations: {exc.code} {exc.read()[:300]!r}"
                         ) from None


def community(hub_url: str, keystore: str) -> dict[str, object]:
    """A table with agencies, a chair, an open meeting with DECISIONS situations on its agenda,
    and one situation in intervention whose deadlines passed days ago (due timers)."""
    from support.factories import PASSWORD, build_world, in_intervention, submitted

    from workflow import directory
    from workflow.models import Agency, utcnow
    from workflow.runtime import Runtime

    runtime = Runtime(database_url=hub_url, keystore_url=keystore, identity_key="scaleout-key")
    world = build_world(runtime)
    past = utcnow() - timedelta(days=10)
    to_decide = [submitted(world, now=past) for _ in range(DECISIONS)]
    _sid, meeting = in_intervention(world, now=past)
    with runtime.command() as s:
        token = directory.issue_api_token(s, s.get(Agency, world.agencies["school"]), "scaleout")
    with runtime.read() as s:
        from workflow.models.rules import Deadline

        due = int(s.scalar(select(func.count()).select_from(Deadline).where(
            Deadline.met_at.is_(None), Deadline.due_at < utcnow())) or 0)
    runtime.dispose()
    return {"to_decide": to_decide, "meeting": meeting, "token": token, "due": due,
            "password": PASSWORD}


def main() -> int:  # noqa: PLR0915 (one story, told in order)
    with tempfile.TemporaryDirectory(prefix="hubtable-scaleout-") as tmp, databases() as (
            hub_url, prefect_db):
        work = Path(tmp)
        (work / "logs").mkdir()
        procs = Processes(work / "logs")
        box = Box()
        smtp = Controller(box, hostname="127.0.0.1", port=free_port())
        smtp.start()
        try:
            return run(work, procs, box, smtp.port, hub_url, prefect_db)
        except BaseException:
            for name in procs.children:
                print(f"--- {name} log ---\n{procs.tail(name)}", file=sys.stderr)
            raise
        finally:
            procs.stop_all()
            smtp.stop()


def run(work: Path, procs: Processes, box: Box, smtp_port: int, hub_url: str,
        prefect_db: str) -> int:
    prefect_port = free_port()
    prefect = Prefect(f"http://127.0.0.1:{prefect_port}/api")
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("PREFECT_", "HUBTABLE_"))}
    base_env.update(PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1",
                    PREFECT_SERVER_ANALYTICS_ENABLED="false")
    say("1-2. Prefect server on its own PostgreSQL database")
    procs.start("prefect-server", [sys.executable, "-m", "orchestration.prefect_server",
                                   "--host", "127.0.0.1", "--port", str(prefect_port)],
                {**base_env, "PREFECT_HOME": str(work / "prefect-server"),
                 "PREFECT_SERVER_DATABASE_CONNECTION_URL": prefect_db})
    keystore = f"sqlite:///{work / 'keystore.db'}"
    hub_env = {**base_env, "HUBTABLE_DATABASE_URL": hub_url, "HUBTABLE_KEYSTORE_URL": keystore,
               "HUBTABLE_IDENTITY_KEY": "scaleout-key", "HUBTABLE_SECRET_KEY": "scaleout",
               "HUBTABLE_DATA_DIR": str(work / "data"),
               "HUBTABLE_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
               "HUBTABLE_MAIL_FROM": "hubtable@scaleout.test"}
    say("3. hubtable init and a community")
    subprocess.run([sys.executable, "-m", "hubtable.cli", "init"], cwd=ROOT, env=hub_env,
                   check=True, capture_output=True)
    world = community(hub_url, keystore)
    wait_for("the Prefect server answers", prefect.answers, 120)
    prefect.call("POST", "/automations/", ZOMBIES)

    say("4. two workers in work pool 'scaleout', two web processes")
    worker_env = {**hub_env, "PREFECT_API_URL": prefect.url,
                  "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",
                  "PREFECT_WORKER_QUERY_SECONDS": "2"}
    for n in (1, 2):
        procs.start(f"worker-{n}", [sys.executable, "-m", "hubtable.cli", "worker", "--pool",
                                    POOL], {**worker_env, "PREFECT_HOME": str(work / f"w{n}")})
        if n == 1:
            wait_for("the deployments are registered",
                     lambda: prefect.deployment_id("dispatch-listener/hubtable"), 120)
    webs = []
    for n in (1, 2):
        port = free_port()
        procs.start(f"web-{n}", [sys.executable, "-m", "hubtable.webserver", "127.0.0.1",
                                 str(port)], {**hub_env, "PREFECT_API_URL": prefect.url})
        webs.append(f"http://127.0.0.1:{port}")
    for base in webs:
        host, port = base.rsplit(":", 1)
        wait_for(f"{base} listens", lambda p=int(port): _listens(p), 60)
    wait_for("both workers are online", lambda: prefect.online_workers() >= 2, 120)
    listener = prefect.run_deployment("dispatch-listener/hubtable")
    wait_for("the dispatch listener runs", lambda: prefect.state(listener) == "RUNNING", 90)

    say("5. drive: API situations, web decisions, two sweeps at once")
    for i in range(API_SITUATIONS):
        assert api_create(webs[i % 2], str(world["token"])) == 201
    chairs = [Browser(b) for b in webs]
    for chair in chairs:
        assert chair.post("/login", {"email": "chair@demo.hubtable.test",
                                     "password": str(world["password"])},
                          token_from="/login") == 200
    sweeps = [prefect.run_deployment("sweep-timers/hubtable") for _ in range(2)]
    to_decide: list[int] = list(world["to_decide"])  # type: ignore[call-overload]
    meeting = world["meeting"]

    def decide(sid: int, chair: Browser) -> None:
        item = f"/meetings/{meeting}/situations/{sid}"
        status = chair.post(f"{item}/decide", {"decision": "accept"}, token_from=item)
        assert status == 200, (sid, status)

    for i, sid in enumerate(to_decide[: DECISIONS // 2]):
        decide(sid, chairs[i % 2])
    wait_for("the first decisions' mail", lambda: len(box.messages) > 0, 60)
    for run_id in sweeps:
        wait_for("both sweeps finish", lambda r=run_id: prefect.state(r) in (
            "COMPLETED", "FAILED", "CRASHED"), 180)

    victim = _worker_running(procs, listener)
    say(f"   SIGKILL {victim} (it runs the dispatch listener) while decisions go on")
    later = threading.Thread(target=lambda: [
        decide(sid, chairs[i % 2]) for i, sid in enumerate(to_decide[DECISIONS // 2:])])
    later.start()
    time.sleep(0.3)
    procs.kill(victim)
    killed = time.monotonic()
    later.join(60)
    survivor = "worker-2" if victim == "worker-1" else "worker-1"
    # The survivor takes over: the minute schedule sends whatever the dead listener held once
    # its 30 s lease ran out; a new listener run (as `up` starts one) lands on the survivor.
    replacement = prefect.run_deployment("dispatch-listener/hubtable")

    say("6. check")
    from workflow.models import Delivery, RuleFiring
    from workflow.models.rules import Deadline
    from workflow.runtime import Runtime

    runtime = Runtime(database_url=hub_url, keystore_url=keystore, identity_key="scaleout-key")

    def unsent() -> int:
        with runtime.read() as s:
            return int(s.scalar(select(func.count()).where(
                Delivery.channel == "email", Delivery.status != "sent")) or 0)

    def outbox_done() -> bool:
        from workflow.models import OutboxEvent

        with runtime.read() as s:
            return not s.scalar(select(func.count()).where(OutboxEvent.processed_at.is_(None)))

    wait_for("every notification sent", lambda: outbox_done() and unsent() == 0, 120)
    all_sent = time.monotonic() - killed
    crashed = wait_for("the killed listener run shows as Crashed in Prefect",
                       lambda: prefect.state(listener) == "CRASHED", 150)
    crashed_after = time.monotonic() - killed
    with runtime.read() as s:
        sent = int(s.scalar(select(func.count()).where(Delivery.channel == "email")) or 0)
        firings = Counter(s.execute(select(RuleFiring.situation_id, RuleFiring.rule_id,
                                           RuleFiring.occurrence)
                                    .where(RuleFiring.trigger.like("timer:%"))).tuples().all())
        overdue = int(s.scalar(select(func.count()).select_from(Deadline).where(
            Deadline.overdue_at.is_not(None))) or 0)
    runtime.dispose()
    ids = box.message_ids()
    doubled = {m: n for m, n in ids.items() if n > 1}
    figures = {
        "emails": sent, "distinct_message_ids": len(ids), "doubled": doubled,
        "due_deadlines": world["due"], "deadlines_flagged_overdue": overdue,
        "timer_firings": sum(firings.values()),
        "timer_firings_twice": sum(1 for n in firings.values() if n > 1),
        "sweep_runs": [prefect.state(r) for r in sweeps],
        "killed": victim, "survivor": survivor,
        "all_sent_after_kill_s": round(all_sent, 1),
        "crashed_visible_after_kill_s": round(crashed_after, 1),
        "replacement_listener": prefect.state(replacement),
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(figures, indent=2))
    checks = {
        "every email arrived": len(ids) == sent and sent > 0,
        "nothing twice but the one in flight": len(doubled) <= 1
        and all(n == 2 for n in doubled.values()),
        "every due deadline fired once": overdue == world["due"] and world["due"] > 0
        and figures["timer_firings"] > 0 and figures["timer_firings_twice"] == 0,
        "both sweeps completed": all(s == "COMPLETED" for s in figures["sweep_runs"]),
        "the crashed run is Crashed": bool(crashed),
        f"within {BUDGET_SECONDS} s": figures["seconds"] < BUDGET_SECONDS,
    }
    for name, held in checks.items():
        say(f"   {'ok    ' if held else 'FAILED'} {name}")
    return 0 if all(checks.values()) else 1


def _listens(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _worker_running(procs: Processes, run_id: str) -> str:
    """Which worker runs this flow run: the one its process descends from."""
    needle = f"PREFECT__FLOW_RUN_ID={run_id}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
        except OSError:
            continue
        pid = int(entry.name)
        while pid > 1:
            for name, process in procs.children.items():
                if name.startswith("worker-") and process.pid == pid:
                    return name
            try:
                pid = int((Path("/proc") / str(pid) / "stat").read_text()
                          .rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                break
    raise SystemExit(f"FAILED: no worker process runs flow run {run_id}")


if __name__ == "__main__":
    sys.exit(main())
