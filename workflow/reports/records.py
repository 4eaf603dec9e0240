"""De-identified per-situation records, in a column layout close to Ontario's Risk-driven
Tracking Database (RTD), streamed from one SQL query.

What a record never carries: identity (it lives in another table, never joined here), the
free-text summary, rejection or withdrawal notes, progress notes, task descriptions, the
situation's reference, its database id, or an exact date. Dates become months and durations;
the record number is its position in this export only, so it cannot be looked up.

Small groups: when fewer than the threshold records of the export share an age group and
gender, both are printed as "x" in those records (the same threshold as the figures), so a rare
combination does not single a person out.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import Session, aliased

from workflow.models import Agency, Involvement, SituationRiskFactor, SituationService, Table
from workflow.reference import Catalog, UnknownCode, load_catalog
from workflow.reports.scope import Scope
from workflow.reports.sql import Cohorts, Expr, S, decision, dialect, hours_between, month_of
from workflow.reports.suppression import HIDDEN

#: The export's columns, in order, with what each means (written into every XLSX and the docs).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("record", "Row number in this export only (not a reference; cannot be looked up)"),
    ("table", "Code of the Situation Table"),
    ("month_presented", "Month the situation was presented to the table (YYYY-MM, UTC)"),
    ("situation_type", "person, family, dwelling or neighbourhood"),
    ("age_group", "Age group code; 'x' when fewer than the threshold share age group and gender"),
    ("gender", "Gender code; 'x' as for age_group"),
    ("originating_sector", "Sector of the originating agency"),
    ("decision", "accepted, rejected or undecided (pending or withdrawn before a decision)"),
    ("rejection_reason", "Rejection reason code (rejected only)"),
    ("re_presentation", "yes when linked to an earlier situation"),
    ("help_source", "How help was sought (code), when recorded"),
    ("risk_categories", "Risk-factor categories, ';'-separated (accepted only)"),
    ("risk_factors", "Risk-factor codes, ';'-separated (accepted only)"),
    ("aer_reasons", "Factors marked as reasons for AER, ';'-separated (accepted only)"),
    ("lead_sector", "Sector of the lead agency"),
    ("assisting_sectors", "Sectors of the assisting agencies, ';'-separated"),
    ("services", "Services mobilised, ';'-separated"),
    ("first_contact_within_deadline", "yes / no once the first contact is made or overdue"),
    ("hours_to_first_contact", "Whole hours from acceptance to first contact"),
    ("month_closed", "Month the situation was closed (YYYY-MM, UTC)"),
    ("conclusion_reason", "Conclusion reason code"),
    ("outcome", "risk_lowered, still_aer or transferred"),
    ("days_to_closure", "Whole days from acceptance to closure"),
)
HEADER = tuple(name for name, _ in COLUMNS)
LIST_SEPARATOR = ";"


def _joined(session: Session, column: Expr) -> ColumnElement[str]:
    if dialect(session) == "postgresql":
        return func.string_agg(column, literal(LIST_SEPARATOR))
    return func.group_concat(column, LIST_SEPARATOR)


def _list_of(session: Session, column: Expr, *where: Expr) -> ColumnElement[str]:
    """A correlated, ';'-joined list of one column for the outer situation."""
    return select(_joined(session, column)).where(*where).scalar_subquery()


def _yes_no(condition: ColumnElement[bool]) -> ColumnElement[str]:
    return case((condition, "yes"), else_="no")


def records(session: Session, scope: Scope, *, now: datetime | None = None
            ) -> Iterator[dict[str, object]]:
    """Yield one de-identified record per situation presented in the scope's period."""
    as_of = min(scope.period.bounds()[1], now or datetime.now(UTC))
    catalog = load_catalog()
    cohorts = Cohorts(scope)
    origin, lead, helper = aliased(Agency), aliased(Agency), aliased(Agency)
    rf, svc = SituationRiskFactor, SituationService
    accepted = S.accepted_at.is_not(None)
    group_size = func.count().over(partition_by=(S.age_group, S.gender))
    query = (
        select(
            Table.code.label("table"),
            month_of(session, S.presented_at).label("month_presented"),
            S.situation_type, S.age_group, S.gender,
            origin.sector.label("originating_sector"),
            decision().label("decision"),
            S.rejection_reason,
            _yes_no(S.previous_situation_id.is_not(None)).label("re_presentation"),
            S.help_source,
            _list_of(session, rf.category_code, rf.situation_id == S.id, accepted
                     ).label("risk_categories"),
            _list_of(session, rf.factor_code, rf.situation_id == S.id, accepted
                     ).label("risk_factors"),
            _list_of(session, rf.factor_code, rf.situation_id == S.id, rf.is_aer_reason,
                     accepted).label("aer_reasons"),
            lead.sector.label("lead_sector"),
            select(_joined(session, helper.sector))
            .select_from(Involvement).join(helper, helper.id == Involvement.agency_id)
            .where(Involvement.situation_id == S.id, Involvement.role == "assisting")
            .scalar_subquery().label("assisting_sectors"),
            _list_of(session, svc.service_code, svc.situation_id == S.id).label("services"),
            case((S.first_contact_due.is_(None), None),
                 (S.first_contact_at.is_not(None),
                  _yes_no(S.first_contact_at <= S.first_contact_due)),
                 (S.first_contact_due < as_of, "no"),
                 else_=None).label("first_contact_within_deadline"),
            hours_between(session, S.first_contact_at, S.accepted_at)
            .label("hours_to_first_contact"),
            case((S.stage == "closed", month_of(session, S.closed_at)), else_=None)
            .label("month_closed"),
            S.conclusion_reason,
            case((S.stage == "closed", hours_between(session, S.closed_at, S.accepted_at) / 24.0),
                 else_=None).label("days_to_closure"),
            group_size.label("group_size"),
        )
        .select_from(S)
        .join(Table, Table.id == S.table_id)
        .join(origin, origin.id == S.originating_agency_id)
        .outerjoin(lead, lead.id == S.lead_agency_id)
        .where(cohorts.presented)
        .order_by(S.presented_at, S.id)
    )
    result = session.execute(query.execution_options(yield_per=1000))
    for number, row in enumerate(result, start=1):
        values = row._asdict()
        small = values.pop("group_size") < scope.threshold
        out: dict[str, object] = {"record": number}
        for name in HEADER[1:]:
            value = values.get(name)
            if name in ("risk_categories", "risk_factors", "aer_reasons", "assisting_sectors",
                        "services"):
                value = LIST_SEPARATOR.join(sorted(set(value.split(LIST_SEPARATOR)))) \
                    if value else ""
            elif name in ("hours_to_first_contact", "days_to_closure"):
                value = "" if value is None else int(float(value))
            elif name in ("age_group", "gender") and small:
                value = HIDDEN
            elif name == "outcome":
                value = _outcome(catalog, values.get("conclusion_reason"))
            out[name] = "" if value is None else value
        yield out


def _outcome(catalog: Catalog, code: str | None) -> str:
    if not code:
        return ""
    try:
        return catalog.outcome_of(code)
    except UnknownCode:
        return ""
