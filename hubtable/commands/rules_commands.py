"""`hubtable rules check PACK` and `hubtable rules explain REF`."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from hubtable.commands.limits import MAX_ID
from hubtable.wiring import compose
from rules.loader import check_pack
from workflow.models import RuleFiring, Situation


@click.group(name="rules")
def rules_group() -> None:
    """Rule packs: check one, or explain what applied to a situation."""


@rules_group.command(name="check")
@click.argument("pack", type=click.Path(dir_okay=False, path_type=Path))
def rules_check(pack: Path) -> None:
    """Validate PACK and print every problem with file, line and a fix hint."""
    if not pack.exists():
        raise click.ClickException(f"no such file: {pack}")
    problems = check_pack(pack, source_name=str(pack))
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"{len(problems)} problem(s) in {pack}")
    click.echo(f"{pack}: ok")


@rules_group.command(name="explain")
@click.argument("ref")
def rules_explain(ref: str) -> None:
    """Show which rules applied to situation REF, when, under which pack version, and why."""
    runtime = compose().ready_runtime()
    with runtime.read() as session:
        query = select(Situation).where(Situation.ref == ref)
        if ref.isascii() and ref.isdigit():  # an id; "١" or "²" is a reference, never an id
            if int(ref) > MAX_ID:
                raise click.ClickException(f"no situation {ref}")
            query = select(Situation).where(Situation.id == int(ref))
        situation = session.scalar(query)
        if situation is None:
            raise click.ClickException(f"no situation {ref}")
        firings = session.scalars(select(RuleFiring).where(
            RuleFiring.situation_id == situation.id).order_by(RuleFiring.fired_at,
                                                              RuleFiring.id)).all()
        click.echo(f"{situation.ref}: stage {situation.stage}, {len(firings)} rule firing(s)")
        for f in firings:
            click.echo(f"\n{f.fired_at:%Y-%m-%d %H:%M} {f.rule_id} "
                       f"({f.pack_name} {f.pack_version}) on {f.trigger}")
            for line in f.explanation.splitlines():
                click.echo(f"  {line}")


def register(cli: click.Group) -> None:
    cli.add_command(rules_group)
