"""What a running `hubtable up` tells the other processes on its data dir: `up.json`.

The supervisor rewrites it whenever something changes (the Prefect server's address, a child
restarted); `hubtable status`, `/healthz` and `hubtable mail` read it to find the Prefect server
and the mail sink of the `up` on the same data dir. A file left by an `up` that died is
ignored: its pid no longer runs.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

FILE_NAME = "up.json"


def path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def write(data_dir: Path, state: dict[str, Any]) -> None:
    """Atomically (write, then rename): a reader never sees half a file."""
    target = path(data_dir)
    scratch = target.with_suffix(".json.tmp")
    scratch.write_text(json.dumps({"pid": os.getpid(), **state}, indent=2, default=str))
    scratch.replace(target)


def remove(data_dir: Path) -> None:
    with contextlib.suppress(OSError):
        path(data_dir).unlink()


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read(data_dir: Path) -> dict[str, Any] | None:
    """The running `up`'s state, or None when no `up` runs on this data dir."""
    try:
        state = json.loads(path(data_dir).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or not _alive(state.get("pid")):
        return None
    return state
