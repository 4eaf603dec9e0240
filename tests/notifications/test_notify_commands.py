"""`hubtable notifications dispatch | retry | dead`, run as an operator would run them."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import emit_event


def _hubtable(args, runtime, smtp_port, tmp_path, smtp_url=None):
    env = dict(os.environ, HUBTABLE_DATABASE_URL=runtime.database_url,
               HUBTABLE_KEYSTORE_URL=runtime.keystore_url,
               HUBTABLE_IDENTITY_KEY="test-master-key", HUBTABLE_SECRET_KEY="test-secret",
               HUBTABLE_DATA_DIR=str(tmp_path / "data"),
               HUBTABLE_SMTP_URL=smtp_url or f"smtp://127.0.0.1:{smtp_port}",
               HUBTABLE_BASE_URL="https://hub.example.org")
    return subprocess.run([sys.executable, "-m", "hubtable.cli", "notifications", *args],
                          env=env, capture_output=True, text=True, timeout=120)


def test_dispatch_retry_and_dead_from_the_command_line(world, smtp_server, quiet, tmp_path):
    sid, ref = quiet
    rt = world.runtime
    smtp_server.reject.add("police@agencies.test")
    emit_event(world, "situation.accepted", sid, ["police", "school"])
    done = _hubtable(["dispatch"], rt, smtp_server.port, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("events_processed 1 sent 4 failed 1 dead 0 digested 0 "
                                   "digests 0")
    assert len(smtp_server.to("school@agencies.test")) == 1
    assert _hubtable(["dead"], rt, smtp_server.port, tmp_path).stdout.strip() == (
        "no dead deliveries")
    with rt.command() as s:  # let it die: its attempts are used up
        from sqlalchemy import update

        from workflow.models import Delivery
        s.execute(update(Delivery).where(Delivery.status == "failed")
                  .values(status="dead", attempts=6))
    listed = _hubtable(["dead"], rt, smtp_server.port, tmp_path)
    assert "situation.accepted\temail\tagency:" in listed.stdout
    assert "police@agencies.test" in listed.stdout and "550" in listed.stdout
    smtp_server.reject.clear()
    assert _hubtable(["retry"], rt, smtp_server.port, tmp_path).stdout.strip() == "requeued 1"
    again = _hubtable(["dispatch"], rt, smtp_server.port, tmp_path)
    assert again.stdout.startswith("events_processed 0 sent 1 ")
    [mail] = smtp_server.to("police@agencies.test")
    assert ref in mail.part("plain")


def test_bad_input_ends_as_one_line_on_stderr(world, smtp_server, tmp_path):
    rt = world.runtime
    bad_batch = _hubtable(["dispatch", "--batch-size", "0"], rt, smtp_server.port, tmp_path)
    assert bad_batch.returncode != 0
    assert "--batch-size" in bad_batch.stderr and "Traceback" not in bad_batch.stderr
    bad_url = _hubtable(["dispatch"], rt, smtp_server.port, tmp_path,
                        smtp_url="mail.example.org:25")
    assert bad_url.returncode == 1
    assert bad_url.stderr.strip().splitlines() == [
        "error: HUBTABLE_SMTP_URL must look like smtp://host:port (or smtp+starttls://, "
        "smtps://), not 'mail.example.org:25'"]
    bad_id = _hubtable(["retry", "--id", "x"], rt, smtp_server.port, tmp_path)
    assert bad_id.returncode != 0 and "Traceback" not in bad_id.stderr
