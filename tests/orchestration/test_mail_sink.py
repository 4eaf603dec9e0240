"""The local mail sink: messages the dispatcher sends are kept as .eml files in the data dir,
listed and shown by `hubtable mail`, as sent (text and HTML parts)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from aiosmtpd.controller import Controller
from click.testing import CliRunner
from sqlalchemy import func, select
from support.factories import submitted
from support.notify import free_port

from hubtable.cli import cli
from hubtable.mailsink import Keeper
from notifications.dispatch import dispatch_once
from workflow import kept_mail
from workflow.models import Delivery

ROOT = Path(__file__).resolve().parents[2]


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_sent_mail_is_kept_listed_and_shown_as_sent(world, settings, tmp_path, monkeypatch):
    directory = kept_mail.mail_dir(tmp_path)
    sink = Controller(Keeper(directory), hostname="127.0.0.1", port=free_port())
    sink.start()
    try:
        submitted(world)
        result = dispatch_once(world.runtime,
                               replace(settings, smtp_url=f"smtp://127.0.0.1:{sink.port}"))
    finally:
        sink.stop()
    assert result.sent > 0 and result.failed == 0
    kept = kept_mail.list_mail(directory)
    with world.runtime.read() as s:
        emails = s.scalar(select(func.count()).where(Delivery.channel == "email",
                                                     Delivery.status == "sent"))
    assert emails and len(kept) == emails == kept_mail.count(directory)
    assert kept[0].number == len(kept)  # newest first
    assert all(m.message_id and m.subject and m.recipients for m in kept)
    body = kept_mail.read_mail(directory, 1)
    assert body is not None and body.text and body.html and "<" in body.html
    assert kept_mail.read_mail(directory, len(kept) + 1) is None

    monkeypatch.setenv("HUBTABLE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HUBTABLE_SECRET_KEY", "s")
    monkeypatch.setenv("HUBTABLE_IDENTITY_KEY", "k")
    code, out, _ = _invoke("mail")
    assert code == 0 and out.splitlines()[-1].startswith(f"{len(kept)} of {len(kept)} message")
    code, out, _ = _invoke("mail", "show", "1")
    assert code == 0 and f"Message-ID: {body.mail.message_id}" in out
    assert "--- text ---" in out and "--- html ---" in out
    code, _, err = _invoke("mail", "show", "999")
    assert code == 1 and err.strip().splitlines() == [
        f"Error: no message 999: {len(kept)} kept in {directory}"]
