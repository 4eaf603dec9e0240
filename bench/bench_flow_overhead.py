"""One flow run's orchestration overhead, beside calling the same function directly.

Why the baseline: the sweep-timers flow does `workflow.sweep.sweep(runtime)` and records the
run; calling that function directly in the same process, on the same (empty) database, is
what the work costs without Prefect, so "flow / direct" is what orchestration adds.

Against a real Prefect server child on SQLite (as `hubtable up` runs it, not the
in-process test server): flow runs with flow-run heartbeats off and with Prefect's default
(180 s): the heartbeat thread is joined as a run ends, in 1 s steps, which is the difference.
The server's start time is reported too.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine

from bench.common import result
from hubtable.config import Settings
from workflow.models import Base
from workflow.runtime import Runtime

RUNS = 15


def _median_seconds(call, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _start_server(home: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    from hubtable.supervisor import free_port, prefect_server_environment

    port = free_port()
    settings = Settings(data_dir=home, database_url="", keystore_url="", identity_key="",
                        secret_key="", smtp_url="", mail_from="", base_url="",
                        prefect_api_url=None)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(prefect_server_environment(settings, port))
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.prefect_server", "--host", "127.0.0.1",
         "--port", str(port)], env=env, cwd=str(Path(__file__).resolve().parent.parent),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.perf_counter() - start > 180:
            raise RuntimeError("the Prefect server did not start")
        time.sleep(0.2)
    return process, url, time.perf_counter() - start


def run(database_url: str | None) -> list[dict]:
    """Measured on SQLite for the application too: the point is Prefect's share."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_LOGGING_LEVEL,
        PREFECT_LOGGING_TO_API_ENABLED,
        temporary_settings,
    )

    from orchestration import context
    from orchestration.flows import sweep_timers
    from workflow import sweep

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'app.db'}"
        engine = create_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        runtime = Runtime(database_url=url, keystore_url=f"sqlite:///{home / 'k.db'}",
                          identity_key="bench")
        settings = Settings(data_dir=home, database_url=url, keystore_url=runtime.keystore_url,
                            identity_key="bench", secret_key="bench", smtp_url="smtp://x:25",
                            mail_from="b@bench.test", base_url="http://b", prefect_api_url=None)
        process, api, started = _start_server(home)
        try:
            with context.use(runtime, settings), temporary_settings(
                    {PREFECT_API_URL: api, PREFECT_LOGGING_LEVEL: "WARNING",
                     PREFECT_LOGGING_TO_API_ENABLED: False}):
                direct = _median_seconds(lambda: sweep.sweep(runtime), RUNS)
                sweep_timers()  # first run: client, flow and task registration
                with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
                    quiet = _median_seconds(sweep_timers, RUNS)
                beating = _median_seconds(sweep_timers, 5)
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
            runtime.dispose()
    return [
        result("flow run overhead, heartbeats off (sweep-timers, empty db)",
               (quiet - direct) * 1000, "ms", direct * 1000, "< 500 ms per run",
               (quiet - direct) < 0.5, ratio=quiet / direct if direct else 0.0),
        result("flow run overhead, heartbeats every 180 s (Prefect default)",
               (beating - direct) * 1000, "ms", direct * 1000, "informative (< 2 s)",
               (beating - direct) < 2.0, ratio=beating / direct if direct else 0.0),
        result("local Prefect server start (SQLite, to /api/health)", started, "s", 0.0,
               "< 30 s", started < 30.0, ratio=0.0),
    ]


if __name__ == "__main__":
    import json

    print(json.dumps(run(None), indent=2))
