"""Bounds of the numbers a command takes: an id is a PostgreSQL integer, so a larger number
names nothing (and would overflow the driver) and is refused as the option's own mistake."""

from __future__ import annotations

import click

MAX_ID = 2**31 - 1

ID = click.IntRange(min=1, max=MAX_ID)
