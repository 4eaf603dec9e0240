"""A hand-built data set with controlled dates: every figure of the report is known by hand.

Direct model inserts (not the commands) so that each date is exactly what the test says; the
identity canary test uses the real commands instead (see test_exports.py).

Period under test: [2026-01-01, 2026-03-01) at table PEEL (world.table_id).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from workflow.models import (
    Involvement,
    Situation,
    SituationRiskFactor,
    SituationService,
    Table,
)
from workflow.reference import load_catalog

SUMMARY_MARKER = "SUMMARY-MARKER-7f3a"
NOTE_MARKER = "REJECTNOTE-MARKER-91c2"


def t(month: int, day: int, hour: int = 10, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def _situation(s, world, *, table_id=None, origin, factors=(), lead=None, assisting=(),
               services=(), **fields) -> Situation:
    catalog = load_catalog()
    fields.setdefault("situation_type", "person")
    fields.setdefault("stage", "accepted" if fields.get("accepted_at") else "presented")
    sit = Situation(
        table_id=table_id or world.table_id, originating_agency_id=world.agencies[origin],
        taxonomy_version=catalog.version, summary=f"{SUMMARY_MARKER} de-identified facts",
        submitted_at=fields.get("presented_at"), created_at=fields.get("presented_at") or t(1, 1),
        lead_agency_id=world.agencies[lead] if lead else None, **fields)
    sit.risk_factors = [SituationRiskFactor(factor_code=f, category_code=catalog.category_of(f),
                                            is_aer_reason=i == 0) for i, f in enumerate(factors)]
    sit.involvements = ([Involvement(agency_id=world.agencies[lead], role="lead")] if lead
                        else []) + [Involvement(agency_id=world.agencies[a], role="assisting")
                                    for a in assisting]
    sit.services = [SituationService(service_code=c) for c in services]
    s.add(sit)
    s.flush()
    return sit


def build(world) -> dict[str, int]:
    """Insert the data set; returns ids by name."""
    ids: dict[str, int] = {}
    with world.runtime.command() as s:
        def add(name, **kw):
            ids[name] = _situation(s, world, **kw).id

        add("A1", origin="school", age_group="12-15", gender="female",
            presented_at=t(1, 5), decided_at=t(1, 5), accepted_at=t(1, 5),
            factors=["mental_health.diagnosed", "housing.transient"], lead="cmha",
            assisting=["housing"], services=["counselling"], help_source="hotline_111",
            first_contact_due=t(1, 7), first_contact_at=t(1, 6), stage="closed",
            closed_at=t(1, 20), conclusion_reason="lowered_connected")
        add("A2", origin="police", age_group="12-15", gender="male",
            presented_at=t(1, 12), decided_at=t(1, 12), accepted_at=t(1, 12),
            factors=["mental_health.diagnosed", "drugs.person_use"], lead="cmha",
            assisting=["housing", "school"], first_contact_due=t(1, 14),
            first_contact_at=t(1, 15), stage="closed", closed_at=t(2, 10),
            conclusion_reason="still_aer_refused")
        add("A3", origin="school", age_group="25-29", gender="female", situation_type="family",
            presented_at=t(2, 2), decided_at=t(2, 2), accepted_at=t(2, 2),
            factors=["housing.transient"], lead="housing", first_contact_due=t(2, 4),
            first_contact_at=t(2, 3, 22), stage="intervention")
        add("A4", origin="hospital", age_group="25-29", gender="female",
            presented_at=t(2, 9), decided_at=t(2, 9), accepted_at=t(2, 9),
            factors=["drugs.person_use"])
        add("R1", origin="police", age_group="18-24", gender="male",
            presented_at=t(1, 5), decided_at=t(1, 5), stage="rejected",
            rejection_reason="not_aer", factors=["housing.transient"])
        add("R2", origin="school", age_group="60+", gender="unknown", situation_type="dwelling",
            presented_at=t(2, 9), decided_at=t(2, 9), stage="rejected",
            rejection_reason="other", rejection_note=NOTE_MARKER,
            previous_situation_id=ids["R1"])
        add("U1", origin="school", age_group="40-59", gender="female",
            presented_at=t(2, 16), help_source="police")
        add("W1", origin="school", age_group="30-39", gender="other",
            presented_at=t(1, 19), stage="withdrawn", closed_at=t(1, 20),
            withdrawal_reason="duplicate")
        # Presented before the period, closed inside it: in the closed cohort only.
        add("P1", origin="police", age_group="16-17", gender="male",
            presented_at=t(12, 20, year=2025), decided_at=t(12, 20, year=2025),
            accepted_at=t(12, 20, year=2025), first_contact_at=t(12, 21, year=2025),
            lead="cmha", stage="closed", closed_at=t(1, 10), conclusion_reason="transferred")
        # Another table's situation: never in PEEL's report.
        other = s.scalar(select(Table.id).where(Table.code == "OTHER"))
        add("X1", table_id=other, origin="outsider", age_group="12-15", gender="female",
            presented_at=t(1, 5), decided_at=t(1, 5), accepted_at=t(1, 5))
        # After the period.
        add("L1", origin="school", age_group="12-15", gender="female",
            presented_at=t(3, 1), decided_at=t(3, 1), accepted_at=t(3, 1))
    return ids
