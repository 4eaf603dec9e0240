"""`python -m hubtable.group_guard CMD ...`: CMD, and all it starts, end with `hubtable up`.

`up` gives each child PR_SET_PDEATHSIG, which reaches that one process only. The runner is no
such child: on SIGTERM, Prefect's runner cancels its flow runs through the Prefect server, which
died with `up`, so it waited on it for good, and its flow runs (the dispatch listener) with it
(measured: both still running minutes after `up` was killed outright). The guard leads the
runner's process group in its place; once `up` is gone it ends the group (SIGTERM, then after a
grace SIGKILL) and every process carrying `up`'s token. While `up` lives, the guard only waits:
`up` stops the group itself (its signals reach the guard too, which ignores them) and the guard
exits as its child did.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

from hubtable.processes import TOKEN_VARIABLE, processes_with_token

GRACE_SECONDS = 5.0


def _end_everything(child: subprocess.Popen[bytes]) -> None:
    """`up` died: SIGTERM to the group, SIGKILL to what is left, and to all with its token."""
    with contextlib.suppress(OSError):
        os.killpg(0, signal.SIGTERM)  # the guard's own handler ignores it
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=GRACE_SECONDS)
    token = os.environ.get(TOKEN_VARIABLE)
    for pid in processes_with_token(token) if token else []:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    os.killpg(0, signal.SIGKILL)  # the guard too


def main(argv: list[str]) -> int:
    parent = os.getppid()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: None)  # handlers, unlike SIG_IGN, end at exec
    child = subprocess.Popen(argv)  # in the guard's group, which `up` made for it
    while True:
        with contextlib.suppress(subprocess.TimeoutExpired):
            code = child.wait(timeout=0.5)
            break
        if os.getppid() != parent:  # `up` is gone (adopted by init or a subreaper)
            _end_everything(child)
    if code < 0:  # end as the child did: `up` logs the same exit
        with contextlib.suppress(OSError, ValueError):  # SIGKILL has no handler to reset
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
