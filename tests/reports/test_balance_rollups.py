"""Balance's sector counts come from the report's own breakdowns (the rollups when built):
they are the counts its former queries gave, over situations without a lead, with several
assisting sectors, on several tables, raw and from the rollups alike."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from reports.dataset import build
from reports.generated import generate
from workflow.models import Agency, Involvement, Table
from workflow.reports import build_report, parse_period, refresh_rollups, resolve_scope
from workflow.reports.sql import Cohorts, S

from .test_rollups import AS_OF, PERIODS


def _queried(s, scope):
    """The sector counts as balance grouped them itself before (inner joins, distinct)."""
    c, agency = Cohorts(scope), aliased(Agency)
    originated = dict(s.execute(
        select(agency.sector, func.count()).select_from(S)
        .join(agency, agency.id == S.originating_agency_id).where(c.presented)
        .group_by(agency.sector)).tuples().all())
    led = dict(s.execute(
        select(agency.sector, func.count()).select_from(S)
        .join(agency, agency.id == S.lead_agency_id).where(c.accepted)
        .group_by(agency.sector)).tuples().all())
    assisted = dict(s.execute(
        select(agency.sector, func.count(func.distinct(S.id))).select_from(S)
        .join(Involvement, Involvement.situation_id == S.id)
        .join(agency, agency.id == Involvement.agency_id)
        .where(c.accepted, Involvement.role == "assisting")
        .group_by(agency.sector)).tuples().all())
    accepted = s.scalar(select(func.count()).select_from(S).where(c.accepted))
    return originated, led, assisted, accepted


def _shown(report):
    figure = next(f for f in report.figures if f.key == "balance_sectors")
    roles = ({}, {}, {})
    for row in figure.rows:
        for i in range(3):  # cells: originated, its share, led, its share, assisted, its share
            value = row["cells"][2 * i].value
            if value:
                roles[i][row["code"]] = value
    return (*roles, figure.total["cells"][4].value)


def test_balance_counts_are_its_former_queries_raw_and_rolled(world):
    build(world)
    generate(world)
    with world.runtime.command() as s:
        s.execute(update(Table).values(small_cell_threshold=1))
        refresh_rollups(s, margin=timedelta(0))
    exercised = False
    for start, end in PERIODS:
        for table in ("PEEL", None):
            with world.runtime.read() as s:
                scope = resolve_scope(s, parse_period(start, end), table=table)
                originated, led, assisted, accepted = _queried(s, scope)
                for rollups in (False, True):
                    report = build_report(s, scope, now=AS_OF, rollups=rollups)
                    shown = _shown(report)
                    assert shown == (originated, led, assisted, accepted), (start, end, rollups)
                # Some accepted situations without a lead (left out of "led", counted in
                # the accepted total), and assisting sectors.
                exercised |= bool(originated and assisted and accepted > sum(led.values()) > 0)
    assert exercised
