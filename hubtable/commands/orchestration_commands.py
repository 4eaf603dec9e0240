"""Commands of the orchestration area: up, worker, status, purge, sweep."""

from __future__ import annotations

import json
import os
import sys

import click

from hubtable.wiring import compose


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address the web UI listens on (0.0.0.0 for every interface).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True,
              help="Port of the web UI.")
@click.option("--prefect-port", type=click.IntRange(1, 65535), default=None,
              help="Port of the local Prefect server (default 4200, or a free one).")
def up(host: str, port: int, prefect_port: int | None) -> None:
    """Run everything here: web UI, a local Prefect server and the scheduled flows."""
    from hubtable.supervisor import StartError, Supervisor

    if prefect_port == port:
        raise click.BadParameter(f"{port} is the web UI's --port: choose another",
                                 param_hint="--prefect-port")
    try:
        code = Supervisor(compose().settings, host=host, port=port,
                          prefect_port=prefect_port).run()
    except StartError as exc:  # before anything started: `up` of this data dir, the port
        raise click.ClickException(str(exc)) from None
    if code:
        sys.exit(code)


@click.command()
@click.option("--limit", type=click.IntRange(min=1, max=1000), default=None,
              help="At most this many flow runs at once in this worker (default 8).")
@click.option("--pool", default=None,
              help="Register the deployments in this Prefect process work pool (created if "
                   "missing) and run a pool worker, instead of serving them directly.")
def worker(limit: int | None, pool: str | None) -> None:
    """Run the flows against the Prefect server at PREFECT_API_URL (scale-out)."""
    if not os.environ.get("PREFECT_API_URL"):
        raise click.ClickException(
            "PREFECT_API_URL is not set: point it at your Prefect server, e.g. "
            "PREFECT_API_URL=http://prefect.internal:4200/api hubtable worker")
    if pool is not None and not pool.strip():
        raise click.BadParameter("must not be empty", param_hint="--pool")
    compose()  # fail now, not in the first flow run, if the settings are wrong
    from hubtable.config import redact_url
    from orchestration.status import prefect_health

    prefect = prefect_health()  # one line now, not Prefect's traceback from its client
    url, detail = redact_url(str(prefect["api_url"])), str(prefect["detail"])
    if not prefect["ok"] and detail.startswith("PREFECT_API_URL"):
        raise click.ClickException(f"{detail}, not {url!r}")
    if not prefect["ok"]:
        raise click.ClickException(f"no Prefect server answers at PREFECT_API_URL={url} "
                                   f"({detail}): start it, or point PREFECT_API_URL at it")
    if pool is None:
        from orchestration.runner import serve_forever

        serve_forever(limit)
        return
    from orchestration.pool import deploy_to_pool, run_worker

    for name in deploy_to_pool(pool):
        click.echo(f"deployment {name} in work pool {pool}")
    code = run_worker(pool, limit)
    if code:
        sys.exit(code)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(as_json: bool) -> None:
    """When each scheduled flow last ran and whether it worked; deliveries; Prefect; `up`."""
    from sqlalchemy.exc import DBAPIError

    from hubtable.health import orchestration_health
    from hubtable.schema import require_current_schema

    runtime = compose().runtime
    try:
        require_current_schema(runtime)
    except DBAPIError:
        pass  # a database that does not answer is part of the report below
    except BaseException:
        runtime.dispose()
        raise
    try:
        report = orchestration_health(runtime)
    finally:
        runtime.dispose()
    flows, prefect, sent = report["flows"], report["prefect"], report["deliveries"]
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        if prefect["configured"]:
            state = "ok" if prefect["ok"] else f"NOT OK: {prefect['detail']}"
            click.echo(f"prefect  {prefect['api_url']}  {state}")
        else:
            click.echo("prefect  not configured (PREFECT_API_URL unset, no `hubtable up` "
                       "running on this data dir)")
        if "error" in sent:
            click.echo(f"deliveries  {sent['error']}")
        else:
            verdict = "ok" if sent["ok"] else "NOT OK"
            click.echo(f"deliveries  {verdict}: failed {sent['failed']}, dead {sent['dead']}, "
                       f"queued {sent['queued']}, sent {sent['sent']}")
        for name, child in dict(report.get("children", {})).items():
            click.echo(f"up child  {name:15} {child['state']}, restarts {child['restarts']}"
                       + (f", last exit {child['last_exit']}"
                          if child.get("last_exit") is not None else ""))
        if "error" in flows:
            click.echo(f"flows    {flows['error']}")
        for name, entry in dict(flows["flows"]).items():
            click.echo(f"{name:24} {_describe(entry)}")
    if not flows["ok"] or not sent.get("ok") or (prefect["configured"] and not prefect["ok"]):
        sys.exit(1)


def _describe(entry: dict[str, object]) -> str:
    error = (f"  last error {entry['last_error']} at {entry['last_failed_at']}"
             if entry.get("last_error") else "")
    if not entry["runs"]:
        return f"never ran ({entry['schedule']})"
    if entry["running"]:
        outcome = "running"
    else:
        outcome = {True: "ok", False: "FAILED", None: "unknown"}[entry["last_ok"]]  # type: ignore[index]
    late = "  LATE" if entry["late"] else ""
    message = f"  {entry['last_message']}" if entry["last_message"] else ""
    return f"{outcome:8} last started {entry['last_started_at']}{late}{message}{error}"


@click.command()
@click.option("--dry-run", is_flag=True, help="List what would be purged; change nothing.")
def purge(dry_run: bool) -> None:
    """Destroy identities (key first) of situations ended longer ago than the retention."""
    from workflow import purge as retention

    runtime = compose().ready_runtime()
    try:
        if sys.stderr.isatty() and not dry_run:
            todo = len(retention.candidates(runtime))
            with click.progressbar(length=todo, label="purging identity",
                                   file=sys.stderr) as bar:
                report = retention.purge(runtime, progress=lambda _c: bar.update(1))
        else:
            report = retention.purge(runtime, dry_run=dry_run)
    finally:
        runtime.dispose()
    verb = "would purge" if dry_run else "purged"
    for item in report.purged:
        click.echo(f"{verb} {item.ref or item.situation_id} ({item.stage} "
                   f"{item.ended_at.date().isoformat()})")
    click.echo(f"{verb} {report.count} situation(s)")


@click.command()
def sweep() -> None:
    """One pass of the timer sweep (what the sweep-timers flow does every 15 minutes)."""
    from workflow import sweep as timers

    runtime = compose().ready_runtime()
    try:
        report = timers.sweep(runtime)
    finally:
        runtime.dispose()
    click.echo(str(report))


def register(cli: click.Group) -> None:
    """Add this area's commands to the `hubtable` group."""
    for command in (up, worker, status, purge, sweep):
        cli.add_command(command)
