"""`hubtable notifications dispatch | retry | dead`: the outbox dispatcher by hand.

The Prefect flow calls the same `dispatch_once`; these commands are for operators (a pass
now, re-queue what died, see why it died).
"""

from __future__ import annotations

import click

from hubtable.commands.limits import ID
from hubtable.wiring import compose
from notifications.dispatch import dispatch_once, retry_dead
from workflow import deliveries


@click.group(name="notifications")
def notifications_group() -> None:
    """Send what the outbox holds (email, webhooks, inbox) and look after failures."""


@notifications_group.command(name="dispatch")
@click.option("--batch-size", type=click.IntRange(min=1, max=5000), default=200,
              show_default=True, help="Events or deliveries claimed per transaction.")
def dispatch(batch_size: int) -> None:
    """One pass over the outbox: fan out new events, send what is due, send due digests.

    Each cause of failed sends is one line on stderr; when every send by a channel failed in
    this pass (its server is down, say) the exit is non-zero."""
    root = compose()
    settings, runtime = root.settings, root.ready_runtime()
    try:
        result = dispatch_once(runtime, settings, batch_size=batch_size)
    finally:
        runtime.dispose()
    click.echo(" ".join(f"{name} {count}" for name, count in result.as_dict().items()))
    down: list[str] = []  # every send of these channels failed: it, or its server, is down
    for cause, count in result.causes.items():
        line = f"failed {count}: {cause}"
        if cause.split(":", 1)[0] in result.channels_down:
            down.append(line)
        else:
            click.echo(f"warning: {line}", err=True)
    if down:
        raise click.ClickException("; ".join(down))


@notifications_group.command(name="retry")
@click.option("--id", "ids", type=ID, multiple=True,
              help="Re-queue only this dead delivery (repeatable); default: all of them.")
def retry(ids: tuple[int, ...]) -> None:
    """Re-queue dead deliveries with a fresh set of attempts, due at once."""
    runtime = compose().ready_runtime()
    try:
        if ids:
            with runtime.command() as session:
                count = deliveries.requeue_dead(session, ids=list(ids))
        else:
            count = retry_dead(runtime)
    finally:
        runtime.dispose()
    click.echo(f"requeued {count}")


@notifications_group.command(name="dead")
@click.option("--limit", type=click.IntRange(min=1, max=1000), default=50, show_default=True)
def dead(limit: int) -> None:
    """List dead deliveries, newest first, with the error that ended them."""
    runtime = compose().ready_runtime()
    try:
        with runtime.read() as session:
            rows = deliveries.list_dead(session, limit=limit)
    finally:
        runtime.dispose()
    for d in rows:
        when = d.last_attempt_at.isoformat(timespec="seconds") if d.last_attempt_at else "-"
        click.echo(f"{d.id}\t{d.event_type}\t{d.channel}\t{d.recipient}\t{d.address}\t"
                   f"attempts {d.attempts}\t{when}\t{d.last_error}")
    if not rows:
        click.echo("no dead deliveries")


def register(cli: click.Group) -> None:
    """Add this area's commands to the `hubtable` group."""
    cli.add_command(notifications_group)
