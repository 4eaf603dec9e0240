"""The core's Runtime and the settings every flow of this process runs against.

Flows take only plain parameters (Prefect stores them), so they find the database here. The
composition root (hubtable/) provides them; orchestration reads no settings itself:

- in a process of the root's own (the CLI, `hubtable worker`), by `provide(...)`;
- in a process Prefect starts for one flow run (it imports only the flow's module), through
  the `hubtable.wiring` entry point `flows` that the root declares in pyproject.toml;
- in tests and benchmarks, by `use(runtime, settings)`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points

from notifications.channels.base import ChannelSettings
from workflow.runtime import Runtime

Wiring = tuple[Runtime, ChannelSettings]
ENTRY_POINT_GROUP, ENTRY_POINT_NAME = "hubtable.wiring", "flows"

_lock = threading.Lock()
_provider: Callable[[], Wiring] | None = None
_current: Wiring | None = None
_override: Wiring | None = None


def provide(provider: Callable[[], Wiring]) -> None:
    """The root's way of building this process's (runtime, settings), called on first use."""
    global _provider, _current
    with _lock:
        _provider, _current = provider, None


def _declared_provider() -> Callable[[], Wiring]:
    found = entry_points(group=ENTRY_POINT_GROUP, name=ENTRY_POINT_NAME)
    if not found:
        raise RuntimeError("the flows are not wired: hubtable's entry point "
                           f"{ENTRY_POINT_GROUP}:{ENTRY_POINT_NAME} is not installed "
                           "(pip install -e . again)")
    provider: Callable[[], Wiring] = next(iter(found)).load()
    return provider


def current() -> Wiring:
    """The (runtime, settings) pair of this process, built once on first use."""
    global _current
    if _override is not None:
        return _override
    with _lock:
        if _current is None:
            _current = (_provider or _declared_provider())()
        return _current


def runtime() -> Runtime:
    return current()[0]


@contextmanager
def use(rt: Runtime, cfg: ChannelSettings) -> Iterator[None]:
    """Run flows against this runtime and these settings (tests, benchmarks)."""
    global _override
    previous, _override = _override, (rt, cfg)
    try:
        yield
    finally:
        _override = previous
