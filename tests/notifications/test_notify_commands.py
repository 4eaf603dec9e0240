"""`hubtable notifications dispatch | retry | dead`, run as an operator would run them."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import update
from support.cli import run_in_process
from support.notify import emit_event

from workflow.models import Delivery


@pytest.fixture
def hubtable(monkeypatch, capsys, tmp_path):
    """Run `hubtable ARGS` in-process through the real entry point (exit code, one-line errors)."""

    def run(args, *, env):
        for name in ("HUBTABLE_DATABASE_URL", "HUBTABLE_KEYSTORE_URL"):
            monkeypatch.delenv(name, raising=False)
        for name, value in {"HUBTABLE_IDENTITY_KEY": "test-master-key",
                            "HUBTABLE_SECRET_KEY": "test-secret",
                            "HUBTABLE_DATA_DIR": str(tmp_path / "data"),
                            "HUBTABLE_BASE_URL": "https://hub.example.org", **env}.items():
            monkeypatch.setenv(name, value)
        return run_in_process(monkeypatch, capsys, *args)

    return run


def _env(runtime, smtp_port, smtp_url=None):
    return {"HUBTABLE_DATABASE_URL": runtime.database_url,
            "HUBTABLE_KEYSTORE_URL": runtime.keystore_url,
            "HUBTABLE_SMTP_URL": smtp_url or f"smtp://127.0.0.1:{smtp_port}"}


def test_dispatch_retry_and_dead_from_the_command_line(world, smtp_server, quiet, hubtable):
    sid, ref = quiet
    rt = world.runtime

    def notify(*args):
        return hubtable(["notifications", *args], env=_env(rt, smtp_server.port))

    smtp_server.reject.add("police@agencies.test")
    emit_event(world, "situation.accepted", sid, ["police", "school"])
    done = notify("dispatch")
    assert done.code == 0, done.err
    assert done.out.strip() == ("events_processed 1 sent 4 failed 1 dead 0 digested 0 "
                                   "digests 0")
    assert len(smtp_server.to("school@agencies.test")) == 1
    assert notify("dead").out.strip() == "no dead deliveries"
    with rt.command() as s:  # let it die: its attempts are used up
        s.execute(update(Delivery).where(Delivery.status == "failed")
                  .values(status="dead", attempts=6))
    listed = notify("dead")
    assert "situation.accepted\temail\tagency:" in listed.out
    assert "police@agencies.test" in listed.out and "550" in listed.out
    smtp_server.reject.clear()
    assert notify("retry").out.strip() == "requeued 1"
    again = notify("dispatch")
    assert again.out.startswith("events_processed 0 sent 1 ")
    [mail] = smtp_server.to("police@agencies.test")
    assert ref in mail.part("plain")


def test_bad_input_ends_as_one_line_on_stderr(world, smtp_server, hubtable):
    rt = world.runtime

    def notify(*args):
        return hubtable(["notifications", *args], env=_env(rt, smtp_server.port))

    bad_batch = notify("dispatch", "--batch-size", "0")
    assert bad_batch.code != 0
    assert "--batch-size" in bad_batch.err and "Traceback" not in bad_batch.err
    bad_url = hubtable(["notifications", "dispatch"],
                       env=_env(rt, smtp_server.port, "mail.example.org:25"))
    assert bad_url.code == 1
    assert bad_url.err.strip().splitlines() == [
        "error: HUBTABLE_SMTP_URL must look like smtp://host:port (or smtp+starttls://, "
        "smtps://), not 'mail.example.org:25'"]
    bad_id = notify("retry", "--id", "x")
    assert bad_id.code != 0 and "Traceback" not in bad_id.err


def test_demo_canary_then_dispatch_sends_mail_without_the_marker(smtp_server, hubtable):
    """`hubtable demo --canary MARKER` then `hubtable notifications dispatch` (issue 5)."""
    marker = f"CANARY-{uuid.uuid4().hex[:12]}"
    env = {"HUBTABLE_SMTP_URL": f"smtp://127.0.0.1:{smtp_server.port}"}
    demo = hubtable(["demo", "--canary", marker], env=env)
    assert demo.code == 0, demo.err
    done = hubtable(["notifications", "dispatch"], env=env)
    assert done.code == 0, done.err
    assert done.out.startswith("events_processed ")
    assert marker not in done.out + done.err
    assert len(smtp_server.messages) >= 10
    kinds = set()
    for mail in smtp_server.messages:
        assert marker.encode() not in mail.raw
        text, html = mail.part("plain"), mail.part("html")
        assert marker not in text and marker not in html
        assert "/situations/" in text or "/meetings" in text
        kinds.add(mail.message["X-Hubtable-Event"])
    assert {"situation.disclosed", "situation.accepted"} <= kinds
