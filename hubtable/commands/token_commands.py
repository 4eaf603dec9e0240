"""API token commands: issue, list, revoke an agency's token for its own systems.

A thin adapter over workflow.api_tokens: the core issues, audits and expires; this prints.
The token is printed once, as `api-token AGENCY-SLUG TOKEN` (the line `hubtable demo` prints),
on stdout alone so that a script can take it; what a person should know goes to stderr.
"""

from __future__ import annotations

import json
from datetime import datetime

import click

from hubtable.wiring import compose
from workflow import api_tokens
from workflow.api_tokens import TokenView
from workflow.runtime import Runtime

_COLUMNS = ("id", "agency", "label", "created", "expires", "revoked", "last used", "status")


def _runtime() -> Runtime:
    """The Runtime of a command on an initialised, current database (else one line)."""
    return compose().ready_runtime()


def _when(at: datetime | None, none: str = "-") -> str:
    return _iso(at) or none


@click.group(name="tokens")
def tokens_group() -> None:
    """Agencies' API tokens (Authorization: Bearer TOKEN): issue, list, revoke."""


@tokens_group.command(name="issue")
@click.argument("agency_slug", metavar="AGENCY-SLUG")
@click.option("--label", default="", help="What the token is for (e.g. the system using it).")
@click.option("--days", type=click.IntRange(1, api_tokens.MAX_DAYS),
              default=api_tokens.DEFAULT_DAYS, show_default=True,
              help="Days until the token expires.")
def tokens_issue(agency_slug: str, label: str, days: int) -> None:
    """Issue a token for an active agency; it is shown this once (only its hash is kept)."""
    runtime = _runtime()
    with runtime.command() as session:
        agency = api_tokens.agency_by_slug(session, agency_slug)
        issued = api_tokens.issue(session, agency, label=label, days=days)
        token_id, expires = issued.row.id, issued.row.expires_at
    click.echo(f"api-token {agency_slug} {issued.token}")
    click.echo(f"token {token_id} of {agency_slug} expires {_when(expires, 'never')}; shown "
               "only now: store it (send it as 'Authorization: Bearer TOKEN')", err=True)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat(timespec="seconds") if at is not None else None


def _as_json(view: TokenView) -> dict[str, object]:
    return {"id": view.id, "agency": view.agency, "label": view.label,
            "created_at": _iso(view.created_at), "expires_at": _iso(view.expires_at),
            "revoked_at": _iso(view.revoked_at), "last_used_at": _iso(view.last_used_at),
            "status": view.status}


def _as_row(view: TokenView) -> tuple[str, ...]:
    return (str(view.id), view.agency, view.label or "-", _when(view.created_at),
            _when(view.expires_at, "never"), _when(view.revoked_at), _when(view.last_used_at),
            view.status)


@tokens_group.command(name="list")
@click.option("--agency", "agency_slug", default=None, help="Only this agency's tokens (slug).")
@click.option("--json", "as_json", is_flag=True, help="A JSON list instead of a table.")
def tokens_list(agency_slug: str | None, as_json: bool) -> None:
    """Every token: id, agency, label, created, expires, revoked, last used (never the token)."""
    runtime = _runtime()
    with runtime.read() as session:
        agency = api_tokens.agency_by_slug(session, agency_slug) if agency_slug else None
        views = api_tokens.tokens(session, agency)
    if as_json:
        click.echo(json.dumps([_as_json(v) for v in views], indent=2))
        return
    rows = [_COLUMNS, *(_as_row(v) for v in views)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                   .rstrip())


@tokens_group.command(name="revoke")
@click.argument("token_id", metavar="ID", type=click.IntRange(1, 2**31 - 1))
def tokens_revoke(token_id: int) -> None:
    """Revoke a token (its id from `hubtable tokens list`): the API refuses it from now on."""
    runtime = _runtime()
    with runtime.command() as session:
        row, revoked_now = api_tokens.revoke(session, token_id)
        slug, at = row.agency.slug, row.revoked_at
    if revoked_now:
        click.echo(f"revoked token {token_id} of {slug}")
    else:
        click.echo(f"token {token_id} of {slug} was already revoked at {_when(at)}")


def register(cli: click.Group) -> None:
    cli.add_command(tokens_group)
