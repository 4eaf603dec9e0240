"""Where one meeting page's time goes: bench_meeting_page's table, the page and the bare route
served in this process (app.test_client(), no HTTP server), each timed alone, then the page
profiled (the profile behind issue 17's meeting-page figures).

    .venv/bin/python -m bench.profile_meeting_page          # PostgreSQL (HUBTABLE_BENCH_PG_URL)
    .venv/bin/python -m bench.profile_meeting_page sqlite

The times are the best of many short rounds (the machine is shared; the best is the least
disturbed); only their ratio compares across runs.
"""

from __future__ import annotations

import cProfile
import pstats
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import create_engine, event

from bench import bench_meeting_page as page_bench
from webui import create_app
from workflow.models import Base
from workflow.runtime import Runtime

ROUNDS, PER_ROUND, PROFILED = 40, 20, 300


def _signed_in_client(url: str, data_dir: Path) -> tuple[FlaskClient, Runtime, str]:
    """The bench's table on `url`, its app over a Runtime of its own, the chair signed in."""
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    settings = page_bench._settings(url, data_dir)
    builder = Runtime(database_url=url, keystore_url=settings.keystore_url,
                      identity_key=page_bench.IDENTITY_KEY)
    meeting_id, email = page_bench.build(builder)
    builder.dispose()
    runtime = Runtime(database_url=url, keystore_url=settings.keystore_url,
                      identity_key=page_bench.IDENTITY_KEY)
    app = create_app(settings, runtime=runtime)
    app.add_url_rule("/bench-hello", "bench_hello", lambda: "hello")
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"email": email, "password": page_bench.PASSWORD,
                                           "csrf_token": token})
    if response.status_code != 302:
        raise RuntimeError(f"sign-in failed with HTTP {response.status_code}")
    return client, runtime, f"/meetings/{meeting_id}"


def _best_ms(client: FlaskClient, paths: dict[str, str]) -> dict[str, float]:
    """Best milliseconds per request of each path, over ROUNDS rounds taken in turn."""
    best = dict.fromkeys(paths, float("inf"))
    for _ in range(ROUNDS):
        for name, path in paths.items():
            started = time.perf_counter()
            for _ in range(PER_ROUND):
                client.get(path)
            best[name] = min(best[name], (time.perf_counter() - started) / PER_ROUND * 1000)
    return best


def profile(url: str, data_dir: Path) -> None:
    client, runtime, path = _signed_in_client(url, data_dir)
    statements: list[str] = []

    def _count(_conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split())[:100])

    try:
        for _ in range(20):  # warm: templates compiled, the agenda kept, pools filled
            client.get(path)
            client.get("/bench-hello")
        event.listen(runtime.engine, "before_cursor_execute", _count)
        size = len(client.get(path).data)
        print(f"page: {size:,} bytes, {len(statements)} statement(s) through the pool "
              f"{statements}")
        event.remove(runtime.engine, "before_cursor_execute", _count)
        best = _best_ms(client, {"hello": "/bench-hello", "page": path})
        print(f"best per request: bare route {best['hello']:.2f} ms, page {best['page']:.2f} "
              f"ms; ratio {best['hello'] / best['page']:.3f}")
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(PROFILED):
            client.get(path)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    finally:
        runtime.dispose()


@contextmanager
def _database(backend: str, data_dir: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{data_dir / 'bench.db'}"
        return
    from bench.common import fresh_pg_database

    with fresh_pg_database("profile_meeting_page") as url:
        yield url


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp, \
            _database(sys.argv[1] if len(sys.argv) > 1 else "postgresql", Path(tmp)) as url:
        profile(url, Path(tmp))
