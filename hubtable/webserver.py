"""The web UI under waitress (a production WSGI server), as `hubtable up` runs it in a child.

Here the composition root hands the web app what it must not import itself: the after-commit
hook that wakes the dispatcher (orchestration.wakeup) and the orchestration health report.

`python -m hubtable.webserver HOST PORT` binds the port itself; `python -m hubtable.webserver
--fd N` serves on a listening socket it inherited as descriptor N (how `hubtable up` runs one
process per core on one port: hubtable.web_children).
"""

from __future__ import annotations

import logging
import socket
import sys

from flask import Flask

THREADS = 8


def build_app() -> Flask:
    from hubtable.config import load_settings
    from hubtable.health import orchestration_health
    from hubtable.wiring import runtime_from
    from orchestration.wakeup import publisher
    from webui import create_app

    settings = load_settings()
    runtime = runtime_from(settings)
    return create_app(settings, runtime=runtime, after_commit=publisher(runtime),
                      health=orchestration_health)


def _ready_app() -> Flask:
    """The app, built, with what building it loaded frozen out of the collector's walks."""
    from hubtable.settled import settle

    app = build_app()
    settle()
    return app


def serve_web(host: str, port: int) -> None:
    from waitress import serve

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    serve(_ready_app(), host=host, port=port, threads=THREADS, ident="hubtable")


def serve_inherited(fd: int) -> None:
    """Serve on the listening socket of descriptor `fd`, shared with the other web processes."""
    from waitress import serve

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    sock = socket.socket(fileno=fd)
    serve(_ready_app(), sockets=[sock], threads=THREADS, ident="hubtable")


if __name__ == "__main__":
    if sys.argv[1] == "--fd":
        serve_inherited(int(sys.argv[2]))
    else:
        serve_web(sys.argv[1], int(sys.argv[2]))
