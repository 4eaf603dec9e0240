"""What the web app reads from the settings the composition root hands to `create_app`.

A protocol, not the root's class: the web adapter never imports hubtable.config, so it
cannot read the environment behind the root's back (an import-linter contract holds it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class WebSettings(Protocol):
    @property
    def data_dir(self) -> Path: ...  # where the local mail sink keeps mail (the Mail page)
    @property
    def secret_key(self) -> str: ...  # signs the session cookie
    @property
    def base_url(self) -> str: ...  # https turns on secure cookies
    @property
    def identity_key(self) -> str: ...  # seals agencies' webhook secrets
    @property
    def webhook_allow(self) -> str: ...  # internal networks webhooks may reach
