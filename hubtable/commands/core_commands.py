"""Core commands: init, demo, audit verify, users add."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click
from sqlalchemy import select

from hubtable.schema import is_current
from hubtable.wiring import compose
from workflow import access, audit, directory, directory_admin, gatekeeper, setup
from workflow.demo import MAX_BULK_SITUATIONS, build_demo, bulk_situations
from workflow.models import Agency, Table, User
from workflow.runtime import Runtime

DEFAULT_DEMO_PASSWORD = "hubtable-demo-2026"


def _runtime() -> Runtime:
    """The Runtime of a command on an initialised, current database (else one line)."""
    return compose().ready_runtime()


@click.command()
def init() -> None:
    """Create or upgrade the database and load reference data (safe to run again)."""
    runtime = compose().runtime
    for line in setup.initialise(runtime):
        click.echo(line)


@click.command()
@click.option("--situations", "extra", type=click.IntRange(min=0, max=MAX_BULK_SITUATIONS),
              default=0, help="Also bulk-insert this many synthetic situations (for volume).")
@click.option("--password", default=DEFAULT_DEMO_PASSWORD, show_default=True,
              help="Password of every demo user (at least 10 characters).")
@click.option("--canary", default=None,
              help="Write this text into every identity field, to search outputs for leaks.")
def demo(extra: int, password: str, canary: str | None) -> None:
    """Add a synthetic community: two tables, agencies, users, situations in every stage."""
    if len(password) < directory.MIN_PASSWORD:
        raise click.BadParameter(f"at least {directory.MIN_PASSWORD} characters",
                                 param_hint="--password")
    if canary is not None and not canary.strip():
        raise click.BadParameter("must not be empty", param_hint="--canary")
    runtime = compose().runtime
    if not (setup.is_initialised(runtime) and is_current(runtime)):
        setup.initialise(runtime)
    result = build_demo(runtime, password=password, canary=canary)
    for role, email, agency in result.users:
        click.echo(f"{role} {email} {agency}")
    for slug, token in result.tokens:
        click.echo(f"api-token {slug} {token}")
    click.echo(f"password {password}")
    if extra:
        with runtime.command() as session:
            table_id = session.scalar(select(Table.id).where(Table.code == "PEEL"))
            if sys.stderr.isatty():
                with click.progressbar(length=extra, label="synthetic situations",
                                       file=sys.stderr) as bar:
                    bulk_situations(session, table_id, extra, progress=bar.update)
            else:
                bulk_situations(session, table_id, extra)
    click.echo(f"situations {result.situations + extra}")


@click.group(name="audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command(name="refusals")
@click.option("--user", "email", default=None, help="Only this user's refusals (email).")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None)
def audit_refusals(email: str | None, start: datetime | None, end: datetime | None) -> None:
    """Every refused attempt (identity above all), by user and period: when, who, what."""
    if start is not None and end is not None and start >= end:
        raise click.BadParameter("the 'from' date must be before the 'to' date (which is "
                                 "excluded)", param_hint="--from")
    runtime = _runtime()
    with runtime.read() as session:
        user_id = None
        if email is not None:
            user_id = session.scalar(select(User.id).where(User.email == email.strip().lower()))
            if user_id is None:
                raise click.BadParameter(f"no user {email!r}", param_hint="--user")
        entries = audit.refusals(session, user_id=user_id,
                                 start=start.replace(tzinfo=UTC) if start else None,
                                 end=end.replace(tzinfo=UTC) if end else None)
        emails = dict(session.execute(select(User.id, User.email)).tuples().all())
        for e in entries:
            target = e.situation_id if e.situation_id is not None else \
                e.detail.get("situation_id", "-")
            click.echo(f"{e.at.isoformat(timespec='seconds')} {emails.get(e.actor_id, '-')} "
                       f"{e.action} situation {target} {e.detail.get('reason', '')}".rstrip())
    click.echo(f"refusals {len(entries)}")


@click.group(name="access")
def access_group() -> None:
    """Who may do what: read from the declarations the commands themselves obey."""


@access_group.command(name="matrix")
def access_matrix() -> None:
    """Every command: its filter, who may give it, from which stages, which guard applies."""
    rows = [("command", "filter", "who", "from stages", "guard"), *gatekeeper.matrix()]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        click.echo("  ".join(cell.ljust(widths[i]) if i < 4 else cell
                             for i, cell in enumerate(row)).rstrip())


@audit_group.command(name="verify")
def audit_verify() -> None:
    """Recompute every chain; exit 1 if any entry was edited, inserted or removed."""
    runtime = _runtime()
    with runtime.read() as session:
        checked, problems = audit.verify(session)
    if problems:
        for problem in problems[:50]:
            click.echo(f"tampered: {problem}", err=True)
        raise click.ClickException(f"audit log verification failed: {len(problems)} problem(s) "
                                   f"in {checked} entries")
    click.echo(f"audit log intact: {checked} entries verified")


@click.group(name="users")
def users_group() -> None:
    """People who sign in."""


@users_group.command(name="add")
@click.option("--email", required=True)
@click.option("--name", "display_name", default="")
@click.option("--role", required=True, type=click.Choice(["agency_rep", "chair", "manager",
                                                          "admin"]))
@click.option("--agency", "agency_slug", default=None, help="Agency slug (not for admins).")
@click.option("--table", "table_codes", multiple=True, help="Table code (chairs, managers).")
@click.option("--language", default="en", type=click.Choice(["en", "vi"]))
@click.option("--password", default=None,
              help="At least 10 characters (asked for, unechoed, when left out at a terminal).")
def users_add(email: str, display_name: str, role: str, agency_slug: str | None,
              table_codes: tuple[str, ...], language: str, password: str | None) -> None:
    """Add a user."""
    if password is None:
        if not sys.stdin.isatty():
            raise click.UsageError("--password is required when stdin is not a terminal")
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True,
                                err=True)
    runtime = _runtime()
    with runtime.command() as session:
        agency_id = None
        if agency_slug:
            agency_id = session.scalar(select(Agency.id).where(Agency.slug == agency_slug))
            if agency_id is None:
                raise click.BadParameter(f"no agency {agency_slug!r}", param_hint="--agency")
        table_ids = []
        for code in table_codes:
            tid = session.scalar(select(Table.id).where(Table.code == code))
            if tid is None:
                raise click.BadParameter(f"no table {code!r}", param_hint="--table")
            table_ids.append(tid)
        user = directory_admin.add_user(session, None, email=email,
                                        display_name=display_name, password=password,
                                        role=role, agency_id=agency_id, table_ids=table_ids,
                                        language=language)
        click.echo(f"added {user.role} {user.email}")
        if access.has_permission(user, "identity.read"):
            click.echo("identity access waits for confirmation by a member of the agency "
                       "(or a chair of its table)")


def register(cli: click.Group) -> None:
    for command in (init, demo, audit_group, users_group, access_group):
        cli.add_command(command)
