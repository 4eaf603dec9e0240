"""Make sure what the tests need is on this machine: PostgreSQL running, Debian's chromium.

Run by `make test` and `.ci/run`; on a machine that has both it does nothing.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time


def postgres_up(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def ensure_postgres() -> None:
    if postgres_up():
        return
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions:
        sys.exit("PostgreSQL is not installed: apt-get install -y postgresql")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
                   check=False)
    for _ in range(30):
        if postgres_up():
            return
        time.sleep(1)
    sys.exit("PostgreSQL did not start on 127.0.0.1:5432")


def ensure_chromium() -> None:
    if shutil.which("chromium") or glob.glob("/usr/bin/chromium"):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)


if __name__ == "__main__":
    ensure_postgres()
    ensure_chromium()
    print("services: postgresql up, chromium present")
