"""A dispatcher SIGKILLed in the middle of a batch: its claimed mail goes out within 90 s.

The real thing: a `hubtable notifications dispatch` process against a slow SMTP server, killed
after a few messages; later passes (as the listener or the schedule would run them) must send
everything within 90 s of the kill, nothing twice except the one message in flight at the
kill, and that one with the same Message-ID.
"""

from __future__ import annotations

import asyncio
import email
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from support.notify import emit_event, free_port

from notifications.dispatch import dispatch_once
from workflow.models import Delivery

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
AGENCIES = ["police", "school", "cmha", "hospital", "housing", "cas"]


class SlowBox:
    """Takes `delay` seconds over each message, as a busy relay would."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.arrivals: list[tuple[float, bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        await asyncio.sleep(self.delay)
        with self.lock:
            self.arrivals.append((time.monotonic(), envelope.original_content
                                  or envelope.content))
        return "250 OK"


def _unsent(runtime) -> int:
    with runtime.read() as s:
        return int(s.scalar(select(func.count()).where(
            Delivery.channel == "email", Delivery.status != "sent")) or 0)


def test_a_killed_dispatchers_mail_goes_out_within_90_seconds(world, settings):
    for _ in range(8):
        emit_event(world, "situation.closed", None, AGENCIES)
    box = SlowBox(0.25)
    smtp = Controller(box, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "HUBTABLE_"))}
    env.update(HUBTABLE_DATABASE_URL=world.runtime.database_url,
               HUBTABLE_KEYSTORE_URL=world.runtime.keystore_url,
               HUBTABLE_IDENTITY_KEY="test-master-key", HUBTABLE_SECRET_KEY="s",
               HUBTABLE_DATA_DIR=str(settings.data_dir),
               HUBTABLE_SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
               HUBTABLE_MAIL_FROM=settings.mail_from, HUBTABLE_BASE_URL=settings.base_url)
    try:
        dispatcher = subprocess.Popen(
            [sys.executable, "-m", "hubtable.cli", "notifications", "dispatch"], cwd=ROOT,
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(box.arrivals) < 5:
            assert dispatcher.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        dispatcher.send_signal(signal.SIGKILL)  # mid-batch: it holds a claim
        dispatcher.wait(10)
        killed_at = time.monotonic()
        stranded = _unsent(world.runtime)
        assert stranded > 0
        faster = settings.__class__(**{**settings.__dict__,
                                       "smtp_url": f"smtp://127.0.0.1:{smtp.port}"})
        while _unsent(world.runtime) and time.monotonic() - killed_at < 90:
            dispatch_once(world.runtime, faster)  # what the listener's idle check would run
            time.sleep(1)
        assert _unsent(world.runtime) == 0, f"{stranded} left at the kill"
        assert box.arrivals[-1][0] - killed_at < 90
    finally:
        if dispatcher.poll() is None:
            dispatcher.kill()
        smtp.stop()
    ids = Counter(email.message_from_bytes(raw)["Message-ID"] for _, raw in box.arrivals)
    with world.runtime.read() as s:
        sent = int(s.scalar(select(func.count()).where(Delivery.channel == "email")) or 0)
    assert set(ids) and len(ids) == sent  # every delivery arrived
    doubled = [m for m, n in ids.items() if n > 1]
    assert len(doubled) <= 1 and all(ids[m] == 2 for m in doubled)  # only the one in flight
