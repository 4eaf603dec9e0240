"""De-identified per-situation records, in a column layout close to Ontario's Risk-driven
Tracking Database (RTD), streamed from one SQL query.

What a record never carries: identity (it lives in another table, never joined here), the
free-text summary, rejection or withdrawal notes, progress notes, task descriptions, the
situation's reference, its database id, or an exact date. Dates become months and durations;
the record number is its position in this export only, so it cannot be looked up.

Its shape follows the RTD's: for a rejected discussion, the assisting agencies, risk factors,
protective factors, affected persons and services mobilised are "N/A" (never collected), not
blank. (hubtable keeps no study flags, so the RTD's study-flag columns are absent.)

Small groups: before any record leaves, kanon.py makes the export k-anonymous (k = the
small-cell threshold) over its quasi-identifiers and checks it against the report's
suppressed counts; `records_with_method` says what it did (the XLSX "Method" sheet).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import Session, aliased

from workflow.models import (
    Agency,
    Involvement,
    SituationProtectiveFactor,
    SituationRiskFactor,
    SituationService,
    Table,
)
from workflow.reference import Catalog, UnknownCode, load_catalog
from workflow.reports import kanon
from workflow.reports.figures import CLOSED_TOTAL, NO_LEAD, NOT_RECORDED, FigureBuilder
from workflow.reports.scope import Scope
from workflow.reports.sql import Cohorts, Expr, S, decision, dialect, hours_between, month_of

#: The export's columns, in order, with what each means (written into every XLSX and the docs).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("record", "Row number in this export only (not a reference; cannot be looked up)"),
    ("table", "Code of the Situation Table"),
    ("month_presented", "Period presented (YYYY-MM, or YYYY-Qn / YYYY / all when generalised; "
                        "'x' when suppressed: see Method)"),
    ("situation_type", "person, family, dwelling or neighbourhood"),
    ("age_group", "Age group code (0-17 / 18+ when generalised; 'x' when suppressed)"),
    ("gender", "Gender code ('x' when suppressed)"),
    ("originating_sector", "Sector of the originating agency"),
    ("decision", "accepted, rejected or undecided (pending or withdrawn before a decision)"),
    ("rejection_reason", "Rejection reason code (rejected only)"),
    ("re_presentation", "yes when linked to an earlier situation"),
    ("help_source", "How help was sought (code), when recorded"),
    ("risk_categories", "Risk-factor categories, ';'-separated (N/A when rejected)"),
    ("risk_factors", "Risk-factor codes, ';'-separated (N/A when rejected)"),
    ("aer_reasons", "Factors marked as reasons for AER, ';'-separated (N/A when rejected)"),
    ("lead_sector", "Sector of the lead agency"),
    ("assisting_sectors", "Sectors of the assisting agencies, ';'-separated (N/A when rejected)"),
    ("services", "Services mobilised, ';'-separated (N/A when rejected)"),
    ("protective_factors", "Protective-factor codes, ';'-separated (N/A when rejected)"),
    ("persons_affected", "Number of persons affected (N/A when rejected)"),
    ("first_contact_within_deadline", "yes / no once the first contact is made or overdue"),
    ("hours_to_first_contact", "Whole hours from acceptance to first contact"),
    ("month_closed", "Month the situation was closed (YYYY-MM, UTC)"),
    ("conclusion_reason", "Conclusion reason code"),
    ("outcome", "risk_lowered, still_aer or transferred"),
    ("days_to_closure", "Whole days from acceptance to closure"),
)
HEADER = tuple(name for name, _ in COLUMNS)
LIST_SEPARATOR = ";"
LISTS = ("risk_categories", "risk_factors", "aer_reasons", "assisting_sectors", "services",
         "protective_factors")
#: Not collected for a rejected discussion (RTD): printed "N/A".
NOT_FOR_REJECTED = (*LISTS, "persons_affected")
_DIMS = {"age_group": "age_group", "gender": "gender", "situation_type": "situation_type",
         "origin_sector": "originating_sector", "help_source": "help_source",
         "re_presented": "re_presentation", "month": "month_presented"}
_LIST_CELLS = {"category": "risk_categories", "factor": "risk_factors",
               "assist_sector": "assisting_sectors"}


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
    """Yield the k-anonymous de-identified records of the scope (see records_with_method)."""
    yield from records_with_method(session, scope, now=now).rows


def records_with_method(session: Session, scope: Scope, *, now: datetime | None = None
                        ) -> kanon.Outcome:
    """The records, made k-anonymous and checked against the report's suppressed counts,
    with the Method lines saying what was generalised and suppressed."""
    raw = list(_raw_records(session, scope, now=now))
    fb = FigureBuilder(session, scope, now=now)
    fb.all()
    hidden = fb.problem.solve(scope.threshold)
    cells = {}
    for key in hidden:
        constraints = _constraints(key)
        if constraints is not None:
            cells[key] = (constraints, fb.problem.values.get(key, 0))
    outcome = kanon.Anonymiser(raw, scope.threshold, cells).run()
    for number, row in enumerate(outcome.rows, start=1):
        row["record"] = number
    return outcome


def _constraints(key: object) -> list[tuple[str, str]] | None:
    """What a report cell counts, in terms of record columns (None: not in the records)."""
    if not isinstance(key, tuple) or not key:
        return None
    head = key[0]
    if head == "decision" and len(key) == 2:
        return [] if key[1] == "total" else [("decision", str(key[1]))]
    if key == CLOSED_TOTAL:
        return [("outcome", kanon.ANY)]
    if head in _DIMS and len(key) == 3:
        code = key[1]
        if head == "help_source" and code == NOT_RECORDED:
            code = ""
        elif head == "re_presented":
            code = "yes" if code == 1 else "no"
        out = [(_DIMS[head], str(code))]
        return out if key[2] == "total" else [*out, ("decision", str(key[2]))]
    if head == "rejection":
        return [("decision", "rejected"), ("rejection_reason", str(key[1]))]
    if head in ("outcome", "conclusion", "closed_month"):
        column = {"outcome": "outcome", "conclusion": "conclusion_reason",
                  "closed_month": "month_closed"}[head]
        return [(column, str(key[1]))]
    if head == "lead_sector":
        return [("decision", "accepted"), ("lead_sector", "" if key[1] == NO_LEAD
                                           else str(key[1]))]
    if head in _LIST_CELLS:
        return [(_LIST_CELLS[head], str(key[1]))]
    return None


def _record_columns(session: Session, as_of: datetime, origin: Any, lead: Any) -> list[Any]:
    """The columns of one record, computed in SQL (lists aggregated per situation); `origin`
    and `lead` are the Agency aliases the query joins."""
    helper = aliased(Agency)
    rf, svc, pf = SituationRiskFactor, SituationService, SituationProtectiveFactor
    accepted = S.accepted_at.is_not(None)
    return [
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
        _list_of(session, pf.factor_code, pf.situation_id == S.id)
        .label("protective_factors"),
        S.persons_count.label("persons_affected"),
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
    ]


def _raw_records(session: Session, scope: Scope, *, now: datetime | None = None
                 ) -> Iterator[dict[str, object]]:
    """One de-identified record per situation presented in the scope's period, before
    k-anonymity."""
    as_of = min(scope.period.bounds()[1], now or datetime.now(UTC))
    catalog = load_catalog()
    origin, lead = aliased(Agency), aliased(Agency)
    query = (
        select(*_record_columns(session, as_of, origin, lead))
        .select_from(S)
        .join(Table, Table.id == S.table_id)
        .join(origin, origin.id == S.originating_agency_id)
        .outerjoin(lead, lead.id == S.lead_agency_id)
        .where(Cohorts(scope).presented)
        .order_by(S.presented_at, S.id)
    )
    result = session.execute(query.execution_options(yield_per=1000))
    for number, row in enumerate(result, start=1):
        yield _record(number, row._asdict(), catalog)


def _record(number: int, values: dict[str, Any], catalog: Catalog) -> dict[str, object]:
    """One row as the export writes it: N/A where a rejected discussion has nothing to say,
    lists sorted and unique, hours and days whole."""
    rejected = values.get("decision") == "rejected"
    out: dict[str, object] = {"record": number}
    for name in HEADER[1:]:
        value = values.get(name)
        if rejected and name in NOT_FOR_REJECTED:
            value = kanon.NA
        elif name in LISTS:
            value = LIST_SEPARATOR.join(sorted(set(value.split(LIST_SEPARATOR)))) \
                if value else ""
        elif name in ("hours_to_first_contact", "days_to_closure"):
            value = "" if value is None else int(float(value))
        elif name == "outcome":
            value = _outcome(catalog, values.get("conclusion_reason"))
        out[name] = "" if value is None else value
    return out


def _outcome(catalog: Catalog, code: str | None) -> str:
    if not code:
        return ""
    try:
        return catalog.outcome_of(code)
    except UnknownCode:
        return ""
