"""`hubtable mail`: what the local mail sink of `hubtable up` kept (no SMTP server configured).

`hubtable mail` (or `hubtable mail list`) lists the newest messages; `hubtable mail show N`
prints message N as sent: headers, then its text part, then its HTML part's source.
"""

from __future__ import annotations

import click

from hubtable.commands.limits import ID
from hubtable.wiring import compose
from workflow import kept_mail


@click.group(name="mail", invoke_without_command=True)
@click.pass_context
def mail_group(ctx: click.Context) -> None:
    """What the embedded mail sink kept (when no HUBTABLE_SMTP_URL is configured)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_mail)


@mail_group.command(name="list")
@click.option("--limit", type=click.IntRange(min=1, max=100_000), default=50, show_default=True,
              help="Show at most this many, newest first.")
def list_mail(limit: int = 50) -> None:
    """List the kept messages, newest first: number, time, recipients, subject."""
    directory = kept_mail.mail_dir(compose().settings.data_dir)
    messages = kept_mail.list_mail(directory, limit=limit)
    if not messages:
        click.echo(f"no mail kept in {directory}")
        return
    for m in messages:
        if m.unreadable:
            click.echo(f"{m.number:5}  {m.received_at:%Y-%m-%d %H:%M:%S}  (unreadable: "
                       f"{m.unreadable})")
            continue
        click.echo(f"{m.number:5}  {m.received_at:%Y-%m-%d %H:%M:%S}  {m.recipients}  "
                   f"{m.subject}")
    click.echo(f"{len(messages)} of {kept_mail.count(directory)} message(s) in {directory}")


@mail_group.command(name="show")
@click.argument("number", type=ID)
def show(number: int) -> None:
    """Print message NUMBER as sent: headers, the text part, the HTML part's source."""
    directory = kept_mail.mail_dir(compose().settings.data_dir)
    body = kept_mail.read_mail(directory, number)
    if body is None:
        raise click.ClickException(
            f"no message {number}: {kept_mail.count(directory)} kept in {directory}")
    for name, value in body.headers:
        click.echo(f"{name}: {value}")
    click.echo("")
    click.echo("--- text ---")
    click.echo(body.text if body.text is not None else "(no text part)")
    click.echo("--- html ---")
    click.echo(body.html if body.html is not None else "(no html part)")


def register(cli: click.Group) -> None:
    cli.add_command(mail_group)
