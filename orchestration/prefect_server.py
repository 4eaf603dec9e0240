"""`prefect server start` as a child process: the local server `hubtable up` runs.

One module so that `up`, the scale-out docs and the tests start the server the same way.
(SQLAlchemy is pinned below 2.1 in pyproject.toml: Prefect 3.8.8's scheduler uses an ORM bulk
INSERT that SQLAlchemy 2.1 refuses, and then no scheduled run is ever created.)

`python -m orchestration.prefect_server --host H --port P`
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> None:
    from prefect.cli import app

    sys.argv = ["prefect", "server", "start", *argv]
    app()


if __name__ == "__main__":
    main(sys.argv[1:])
