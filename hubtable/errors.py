"""Turning any user-caused error into one clear line on stderr (and an exit code)."""

from __future__ import annotations

import sys

import click
from sqlalchemy.exc import OperationalError

from rules.loader import RulePackError
from workflow.errors import DomainError, PackRefused


def run_cli(group: click.Group) -> int:
    try:
        group.main(standalone_mode=False)
        return 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        return exc.exit_code
    except PackRefused as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        return 1
    except DomainError as exc:
        where = f" ({exc.field})" if exc.field else ""
        click.echo(f"error: {exc.message}{where}", err=True)
        return 1
    except RulePackError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        return 1
    except OperationalError as exc:
        click.echo(f"error: database: {str(exc.orig).splitlines()[0]}", err=True)
        return 2
    except KeyboardInterrupt:
        return 130
    except (OSError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        return 1


def fail(message: str) -> None:
    """Stop a command with one line on stderr."""
    raise click.ClickException(message)


__all__ = ["fail", "run_cli", "sys"]
