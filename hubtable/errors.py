"""Turning any user-caused error into one clear line on stderr (and an exit code)."""

from __future__ import annotations

import re
import sys

import click
from sqlalchemy.exc import DBAPIError

from hubtable.schema import NOT_INITIALISED, SchemaNotCurrent
from rules.loader import RulePackError
from workflow.errors import DomainError, PackRefused

# The core names the field it refuses (`agency_id`); the operator typed an option (`--agency`).
FIELD_OPTIONS = {
    "agency_id": "--agency", "table_ids": "--table", "table_id": "--table",
    "display_name": "--name", "email": "--email", "password": "--password", "role": "--role",
    "language": "--language", "from": "--from", "to": "--to", "start": "--from", "end": "--to",
    "region": "--region", "table": "--table", "label": "--label", "days": "--days",
}

# A group called without its command.
_NO_ARGS = click.exceptions.NoArgsIsHelpError

# What the drivers say when a table or a column is not there: the schema is not (or not
# fully) made. PostgreSQL's SQLSTATEs 42P01 undefined_table and 42703 undefined_column.
_UNDEFINED_SQLSTATES = {"42P01", "42703"}
_UNDEFINED_SQLITE = re.compile(r"^(no such table|no such column|table \S+ has no column)")


def run_cli(group: click.Group) -> int:
    try:
        group.main(prog_name="hubtable", standalone_mode=False)
        return 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        return 130
    except _NO_ARGS as exc:
        if exc.ctx is not None and exc.ctx.parent is None:  # bare `hubtable`: its help
            click.echo(exc.ctx.get_help())
            return 0
        click.echo(f"error: {usage_line(exc)}", err=True)
        return exc.exit_code
    except click.UsageError as exc:
        click.echo(f"error: {usage_line(exc)}", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        click.echo(f"error: {one_line(exc.format_message())}", err=True)
        return exc.exit_code
    except PackRefused as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        return 1
    except DomainError as exc:
        where = f" ({FIELD_OPTIONS.get(exc.field, exc.field)})" if exc.field else ""
        click.echo(f"error: {exc.message}{where}", err=True)
        return 1
    except RulePackError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        return 1
    except SchemaNotCurrent as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    except DBAPIError as exc:
        click.echo(f"error: {database_line(exc)}", err=True)
        return 2
    except KeyboardInterrupt:
        return 130
    except (OSError, ValueError) as exc:
        click.echo(f"error: {one_line(str(exc))}", err=True)
        return 1


def one_line(text: str) -> str:
    return " ".join(text.split())


def database_line(exc: DBAPIError) -> str:
    """A driver's error as one line; a missing table or column says what to run."""
    orig = exc.orig
    message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    if getattr(orig, "pgcode", None) in _UNDEFINED_SQLSTATES or _UNDEFINED_SQLITE.match(message):
        return NOT_INITIALISED
    return f"database: {message}"


def _choices(param: click.Parameter | None) -> list[str] | None:
    if param is not None and isinstance(param.type, click.Choice):
        return [str(c) for c in param.type.choices]
    return None


def _hint(exc: click.BadParameter) -> str:
    if isinstance(exc.param_hint, str):
        return exc.param_hint
    if exc.param_hint:
        return " / ".join(exc.param_hint)
    param = exc.param
    if isinstance(param, click.Option) and param.opts:
        return max(param.opts, key=len)
    return param.human_readable_name if param is not None else "value"


def usage_line(exc: click.UsageError) -> str:
    """A usage mistake as one line: what is wrong, the choices, where the help is."""
    ctx = exc.ctx
    path = ctx.command_path if ctx is not None else "hubtable"
    missing = isinstance(exc, _NO_ARGS)
    if (missing or isinstance(exc, click.exceptions.NoSuchCommand)) and ctx is not None \
            and isinstance(ctx.command, click.Group):
        names = ", ".join(ctx.command.list_commands(ctx))
        name = getattr(exc, "command_name", None)
        what = ("missing command" if missing else f"no command {name!r}" if name
                else one_line(exc.format_message()).rstrip("."))
        return f"{path}: {what} (choose: {names}; see {path} --help)"
    if isinstance(exc, click.MissingParameter):
        param = exc.param
        kind = exc.param_type or (param.param_type_name if param is not None else "parameter")
        name = _hint(exc)
        choices = _choices(param)
        also = f" (choose: {', '.join(choices)})" if choices else ""
        return f"{path}: missing {kind} {name}{also}"
    if isinstance(exc, click.BadParameter):
        choices = _choices(exc.param)
        message = one_line(exc.message).rstrip(".")
        if choices:
            found = re.match(r"^(.*?) is not (one of|a valid choice)", message)
            if found:
                message = f"{found.group(1)} is not one of {', '.join(choices)}"
        return f"{_hint(exc)}: {message}"
    if isinstance(exc, click.NoSuchOption | click.BadOptionUsage) and ctx is not None:
        return f"{path}: {one_line(exc.format_message()).rstrip('.')} (see {path} --help)"
    return one_line(exc.format_message())


def fail(message: str) -> None:
    """Stop a command with one line on stderr."""
    raise click.ClickException(message)


__all__ = ["fail", "run_cli", "sys"]
