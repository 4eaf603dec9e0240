"""The web UI under waitress (a production WSGI server), as `hubtable up` runs it in a child.

`python -m orchestration.webserver HOST PORT`
"""

from __future__ import annotations

import logging
import sys

THREADS = 8


def serve_web(host: str, port: int) -> None:
    from waitress import serve

    from webui import create_app

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    serve(create_app(), host=host, port=port, threads=THREADS, ident="hubtable")


if __name__ == "__main__":
    serve_web(sys.argv[1], int(sys.argv[2]))
