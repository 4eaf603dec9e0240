"""The core's Runtime and the settings, built once per process for every flow that runs in it.

Flows take only plain parameters (Prefect stores them), so they find the database here. Tests
point the flows at their own database with `use(...)`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from hubtable.config import Settings, load_settings
from hubtable.wiring import runtime_from
from workflow.runtime import Runtime

_lock = threading.Lock()
_current: tuple[Runtime, Settings] | None = None
_override: tuple[Runtime, Settings] | None = None


def current() -> tuple[Runtime, Settings]:
    """The (runtime, settings) pair of this process, from the environment on first use."""
    global _current
    if _override is not None:
        return _override
    with _lock:
        if _current is None:
            settings = load_settings()
            _current = (runtime_from(settings), settings)
        return _current


def runtime() -> Runtime:
    return current()[0]


def settings() -> Settings:
    return current()[1]


@contextmanager
def use(rt: Runtime, cfg: Settings) -> Iterator[None]:
    """Run flows against this runtime and these settings (tests, benchmarks)."""
    global _override
    previous, _override = _override, (rt, cfg)
    try:
        yield
    finally:
        _override = previous
