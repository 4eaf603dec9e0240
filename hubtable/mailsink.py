"""The local SMTP sink `hubtable up` runs when no HUBTABLE_SMTP_URL is configured.

It accepts every message and keeps it, as sent, in one .eml file per message in the data dir
(`mail/`), so that a fresh installation's notifications arrive somewhere an administrator can
read them (the Mail page, `hubtable mail`). A configured SMTP server replaces it.

`python -m hubtable.mailsink HOST PORT DIRECTORY`
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

_sequence = itertools.count(1)


class Keeper:
    """aiosmtpd handler: one file per message, written whole (then renamed) or not at all."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, 0o700)  # mail carries what agencies are told: not for everyone

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode()
        envelope_to = ", ".join(envelope.rcpt_tos).encode()
        name = f"{time.time_ns():020d}-{os.getpid()}-{next(_sequence):06d}.eml"
        scratch = self.directory / f".{name}.tmp"
        scratch.write_bytes(b"X-Envelope-To: " + envelope_to + b"\r\n" + raw)
        scratch.chmod(0o600)
        scratch.replace(self.directory / name)
        return "250 OK kept"


def serve(host: str, port: int, directory: Path) -> None:
    controller = Controller(Keeper(directory), hostname=host, port=port)
    controller.start()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
