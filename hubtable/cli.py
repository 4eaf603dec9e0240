"""The `hubtable` command: one click group; each area adds its commands from hubtable/commands.

Every error a user can cause ends as one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys

import click

from hubtable.commands import (
    core_commands,
    mail_commands,
    notification_commands,
    orchestration_commands,
    report_commands,
    rules_commands,
    token_commands,
)
from hubtable.errors import run_cli


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hubtable")
def cli() -> None:
    """hubtable: a Situation Table risk-coordination workflow engine."""


for module in (core_commands, rules_commands, notification_commands, orchestration_commands,
               report_commands, mail_commands, token_commands):
    module.register(cli)


def main() -> None:
    sys.exit(run_cli(cli))


if __name__ == "__main__":
    main()
