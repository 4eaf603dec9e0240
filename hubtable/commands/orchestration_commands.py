"""Commands of the orchestration area (filled by that area's work)."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Add this area's commands to the `hubtable` group."""
