"""Build the core's Runtime from the settings: the one place adapters get their database."""

from __future__ import annotations

from hubtable.config import Settings, load_settings
from workflow.runtime import Runtime


def runtime_from(settings: Settings | None = None) -> Runtime:
    settings = settings or load_settings()
    return Runtime(database_url=settings.database_url, keystore_url=settings.keystore_url,
                   identity_key=settings.identity_key)
