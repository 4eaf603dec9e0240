"""The composition root's wiring: settings read once, the core's Runtime built from them.

Only hubtable/ reads the environment (an import-linter contract holds it); the adapters get
what they need from here: `create_app(settings, runtime=...)`, `dispatch_once(runtime,
settings)`, and the flows through `flow_wiring` (the `hubtable.wiring` entry point a process
that Prefect starts for a flow run finds, see orchestration/context.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from hubtable.config import Settings, SettingsError, load_settings
from workflow.runtime import KeystoreMissing, Runtime


def runtime_from(settings: Settings) -> Runtime:
    try:
        return Runtime(database_url=settings.database_url, keystore_url=settings.keystore_url,
                       identity_key=settings.identity_key)
    except KeystoreMissing as exc:
        raise SettingsError(
            f"the key store is missing: {exc.where} holds no key, but the database holds "
            "sealed identities that a new key store would make unreadable: restore it, or "
            "set HUBTABLE_KEYSTORE_URL to where it is") from None


@dataclass
class Root:
    """One process's settings and, built on first use, its Runtime (it opens the databases)."""

    settings: Settings

    @cached_property
    def runtime(self) -> Runtime:
        return runtime_from(self.settings)

    def ready_runtime(self) -> Runtime:
        """The Runtime of a command that needs hubtable's tables: SchemaNotCurrent (one line,
        "run hubtable init") when the database is not initialised or behind."""
        from hubtable.schema import require_current_schema

        runtime = self.runtime
        try:
            require_current_schema(runtime)
        except BaseException:
            runtime.dispose()
            raise
        return runtime


def compose(env: Mapping[str, str] | None = None) -> Root:
    """Read the settings from `env` (default: the process environment) into a Root."""
    return Root(load_settings(None if env is None else dict(env)))


def flow_wiring() -> tuple[Runtime, Settings]:
    """The entry point of a flow-run process: its (runtime, settings), from the environment."""
    root = compose()
    return root.runtime, root.settings
