"""The local mail sink as `hubtable up` runs it: a process of its own that keeps what it
receives and stops on SIGTERM (how the dispatcher's mail gets there is in
tests/orchestration/test_mail_sink.py)."""

from __future__ import annotations

import smtplib
import subprocess
import sys
import time
from pathlib import Path

from support.notify import free_port

from workflow import kept_mail

ROOT = Path(__file__).resolve().parents[2]


def test_the_sink_runs_as_a_process_and_stops_on_sigterm(tmp_path):
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "hubtable.mailsink", "127.0.0.1",
                                str(port), str(tmp_path / "mail")], cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client = smtplib.SMTP("127.0.0.1", port, timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        with client:
            client.sendmail("a@x.test", ["b@y.test"],
                            b"Subject: hello\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n")
        (kept,) = kept_mail.list_mail(tmp_path / "mail")
        assert kept.subject == "hello" and kept.recipients == "b@y.test"
    finally:
        process.terminate()
        assert process.wait(10) == 0
