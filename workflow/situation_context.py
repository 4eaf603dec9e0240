"""What a command knows of its situation, read in one statement: the lean command path's context.

Why: a command used to load the situation through the ORM and then ask, one round trip at a
time, for its table, its agencies, the actor's scope, the table's members and sectors, the
meeting and the audit chain head, and then write through the unit of work. Here one statement
reads all of it (on PostgreSQL locking the situation's audit head and row, in the order every
writer of them takes), the gatekeeper and the rule pack read this plain object, and the
command's changes leave in the transaction's one write (workflow.appends) with the version
check in it.

`SituationContext` answers every attribute the gatekeeper, access, the rules' facts, the outbox
and the rule effects read of a `Situation`; assigning a column records the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, literal, literal_column, null, select
from sqlalchemy.orm import Session, make_transient_to_detached

from workflow import access, appends, audit
from workflow.db import connection_of, expire_held
from workflow.errors import ConcurrentEdit
from workflow.joined_rows import as_text as _as_text
from workflow.joined_rows import joined
from workflow.joined_rows import parts as _split
from workflow.models import (
    Agency,
    Attendance,
    AuditChainHead,
    DisclosureGrant,
    Flag,
    Involvement,
    Meeting,
    ReportBack,
    Situation,
    SituationRiskFactor,
    SituationService,
    Table,
    TableMembership,
    Task,
    Transition,
    UserTableScope,
)
from workflow.prepared import PreparedRead
from workflow.rulebook.facts import seed_sectors


@dataclass(frozen=True)
class TableView:
    """The situation's table as the rules, the agenda and the references read it."""

    id: int
    code: str
    country: str
    subdivision: str | None
    language: str
    timezone: str
    meeting_weekday: int
    meeting_time: str
    meeting_place: str
    rule_pack_name: str
    rule_pack_version: str


@dataclass(frozen=True)
class Row:
    """A child row as the rules read it (a factor, an involvement, a task, a grant)."""

    agency_id: int = 0
    role: str = ""
    factor_code: str = ""
    category_code: str = ""
    is_aer_reason: bool = False
    status: str = ""
    id: int = 0
    service_code: str = ""


@dataclass
class MeetingView:
    """The meeting a decision is taken in: its table, status and who attends."""

    id: int
    table_id: int
    status: str
    scheduled_at: datetime
    present: frozenset[int]

    def present_agency_ids(self) -> set[int]:
        return set(self.present)


_TRACKED = frozenset(c.name for c in Situation.__table__.c) - {"id", "version"}


@dataclass
class SituationContext:
    """One situation as a command sees it; the columns a command assigns are its changes."""

    id: int
    ref: str | None
    table_id: int
    originating_agency_id: int
    stage: str
    version: int
    situation_type: str
    age_group: str
    gender: str
    summary: str
    persons_count: int
    options_exhausted: bool | None
    needs_multiple_agencies: bool | None
    harm_probable_imminent: bool | None
    consent: str | None
    help_source: str | None
    screening_answers: dict[str, Any] | None
    screening_score: int | None
    previous_situation_id: int | None
    lead_agency_id: int | None
    first_contact_due: datetime | None
    first_contact_at: datetime | None
    conclusion_reason: str | None
    rejection_reason: str | None
    created_at: datetime
    accepted_at: datetime | None
    decided_at: datetime | None
    closed_at: datetime | None
    table: TableView
    risk_factors: list[Row]
    involvements: list[Row]
    grants: list[Row]
    tasks: list[Row]
    services: list[Row]
    #: the table's member agencies (what the gatekeeper and the plan's checks ask)
    members: frozenset[int]
    meeting: MeetingView | None = None
    #: members an administrator deactivated: never named for disclosure or a plan
    inactive: frozenset[int] = frozenset()
    next_meeting: tuple[int, datetime] | None = None
    transition_ids: list[int] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _TRACKED and "changes" in self.__dict__:
            self.changes[name] = value
        object.__setattr__(self, name, value)

    @property
    def granted_agency_ids(self) -> set[int]:
        return {g.agency_id for g in self.grants}

    @property
    def assisting_agency_ids(self) -> list[int]:
        return [i.agency_id for i in self.involvements if i.role == "assisting"]


# -- the one read -----------------------------------------------------------------------------
_S, _T = Situation.__table__, Table.__table__
_COLUMNS = [c for c in _S.c if c.name in SituationContext.__dataclass_fields__]
_TABLE_COLUMNS = [_T.c[name].label(f"t_{name}") for name in TableView.__dataclass_fields__]


def _children() -> list[Any]:
    sid = _S.c.id
    factors = select(joined(SituationRiskFactor.factor_code + "|" + SituationRiskFactor
                            .category_code + "|" + _as_text(SituationRiskFactor.is_aer_reason))
                     ).where(SituationRiskFactor.situation_id == sid).scalar_subquery()
    involvements = select(joined(_as_text(Involvement.agency_id) + "|" + Involvement.role)
                          ).where(Involvement.situation_id == sid).scalar_subquery()
    grants = select(joined(_as_text(DisclosureGrant.agency_id))).where(
        DisclosureGrant.situation_id == sid, DisclosureGrant.revoked_at.is_(None)
    ).scalar_subquery()
    tasks = select(joined(_as_text(Task.id) + "|" + _as_text(Task.agency_id) + "|" + Task.status)
                   ).where(Task.situation_id == sid).scalar_subquery()
    services = select(joined(SituationService.service_code)).where(
        SituationService.situation_id == sid).scalar_subquery()
    return [factors.label("c_factors"), involvements.label("c_involvements"),
            grants.label("c_grants"), tasks.label("c_tasks"), services.label("c_services")]


def _about_table(table_id: Any) -> list[Any]:
    """The table's members with their sectors, and whether the actor chairs it."""
    member = _as_text(Agency.id) + "|" + Agency.sector + "|" + _as_text(Agency.active)
    members = select(joined(member)).select_from(
        TableMembership).join(Agency, Agency.id == TableMembership.agency_id).where(
        TableMembership.table_id == table_id).scalar_subquery()
    chairs = select(func.count(UserTableScope.id)).where(
        UserTableScope.user_id == bindparam("actor_id"),
        UserTableScope.table_id == table_id).scalar_subquery()
    return [members.label("c_members"), chairs.label("c_chairs")]


def _about_meetings(table_id: Any, *, meeting: bool, upcoming: bool) -> list[Any]:
    """The decision's meeting (when named) and the next meeting (when asked for); a NULL in
    place of what the command does not ask (PostgreSQL builds every subquery of a prepared
    statement's plan on each run, asked for or not: six of the read's thirteen were these)."""
    m = Meeting.__table__
    columns: list[Any] = []
    if meeting:
        given: Any = bindparam("meeting_id")
        present = select(joined(_as_text(Attendance.agency_id))).where(
            Attendance.meeting_id == given, Attendance.present.is_(True)).scalar_subquery()
        columns += [
            select(m.c.table_id).where(m.c.id == given).scalar_subquery().label("m_table_id"),
            select(m.c.status).where(m.c.id == given).scalar_subquery().label("m_status"),
            select(m.c.scheduled_at).where(m.c.id == given).scalar_subquery().label("m_at"),
            present.label("m_present"),
        ]
    else:
        columns += [null().label(name) for name in ("m_table_id", "m_status", "m_at",
                                                    "m_present")]
    if upcoming:
        coming = (m.c.table_id == table_id, m.c.status != "closed",
                  m.c.scheduled_at >= bindparam("upcoming_since"))
        columns += [
            select(m.c.id).where(*coming).order_by(m.c.scheduled_at, m.c.id).limit(1)
            .scalar_subquery().label("n_id"),
            select(func.min(m.c.scheduled_at)).where(*coming).scalar_subquery().label("n_at"),
        ]
    else:
        columns += [null().label("n_id"), null().label("n_at")]
    return columns


_QUERIES: dict[tuple[str, bool, bool, bool], PreparedRead] = {}


def _next_id(model: Any) -> Any:
    """The next id of `model`'s serial key, its sequence named in the statement itself (the
    name PostgreSQL gives a serial column's sequence; create_all and the migrations both make
    them): resolved once when the read is prepared, where pg_get_serial_sequence looked the
    sequence up in the catalog on every run."""
    return func.nextval(literal_column(f"'{model.__tablename__}_id_seq'::regclass"))



def _query(dialect: str, locked: bool, meeting: bool, upcoming: bool) -> PreparedRead:
    """The context read, built once per dialect and what it carries of meetings: on PostgreSQL
    it locks the audit head, then the situation (the order in which every writer of the two
    takes them: the head with the first audit entry, the row with its update), and takes two
    transition ids."""
    key = (dialect, locked, meeting, upcoming)
    found = _QUERIES.get(key)
    if found is not None:
        return found
    postgresql = dialect == "postgresql"
    heads = AuditChainHead.__table__
    chain = literal("situation:") + _as_text(_S.c.id)
    columns = [*_COLUMNS, *_TABLE_COLUMNS, *_children(), *_about_table(_S.c.table_id),
               *_about_meetings(_S.c.table_id, meeting=meeting, upcoming=upcoming)]
    if locked:
        # FROM order is lock order: the head first (inner join, locked with the row).
        query = (select(heads.c.seq.label("h_seq"), heads.c.hash.label("h_hash"), *columns)
                 .select_from(heads).join(_S, heads.c.chain == chain).join(_T, _T.c.id == _S.c
                                                                           .table_id)
                 .where(_S.c.id == bindparam("situation_id")))
        if postgresql:
            query = query.add_columns(_next_id(Transition).label("x_t1"),
                                      _next_id(Transition).label("x_t2"))
            query = query.with_for_update(of=[heads, _S])
    else:
        query = (select(literal(None).label("h_seq"), literal(None).label("h_hash"), *columns)
                 .select_from(_S).join(_T, _T.c.id == _S.c.table_id)
                 .where(_S.c.id == bindparam("situation_id")))
        if postgresql:
            query = query.with_for_update(of=[_S])
    prepared = _QUERIES[key] = PreparedRead(query)
    return prepared


def read(session: Session, actor: Any, situation_id: int, *, meeting_id: int | None = None,
         upcoming_since: datetime | None = None) -> SituationContext | None:
    """The situation with everything its command asks, or None if there is no such situation.

    Seeds what the gatekeeper, the facts and the audit ask in this transaction (the actor's
    chairing, the table's members and sectors, the audit chain head), so none of them asks the
    database again.
    """
    if session.new or session.dirty or session.deleted:
        session.flush()  # the ORM changes this transaction made come first
    connection = connection_of(session)
    dialect = connection.dialect.name
    params = {"situation_id": situation_id, "actor_id": actor.id, "meeting_id": meeting_id,
              "upcoming_since": upcoming_since}
    asks = (meeting_id is not None, upcoming_since is not None)
    row = _query(dialect, True, *asks).first(connection, params)
    locked = row is not None
    if row is None:  # a situation without an audit chain yet (bulk-generated history)
        row = _query(dialect, False, *asks).first(connection, params)
        if row is None:
            return None
    return _context(session, actor, row, locked, meeting_id)


def _members(value: str | None) -> tuple[dict[int, str], frozenset[int]]:
    """The table's members with their sectors, and those of them that are inactive."""
    rows = _split(value)
    return ({int(a): sector for a, sector, _active in rows},
            frozenset(int(a) for a, _sector, active in rows if active not in ("1", "true")))


def _context(session: Session, actor: Any, row: dict[str, Any], head_read: bool,
             meeting_id: int | None) -> SituationContext:
    members, inactive = _members(row["c_members"])
    table = TableView(**{name: row[f"t_{name}"] for name in TableView.__dataclass_fields__})
    meeting = None
    if meeting_id is not None and row["m_status"] is not None:
        meeting = MeetingView(meeting_id, row["m_table_id"], row["m_status"], row["m_at"],
                              frozenset(int(a) for a in (row["m_present"] or "").split(",")
                                        if a))
    context = SituationContext(
        **{c.name: row[c.name] for c in _COLUMNS}, table=table,
        risk_factors=[Row(factor_code=f, category_code=c, is_aer_reason=a in ("1", "true"))
                      for f, c, a in _split(row["c_factors"])],
        involvements=[Row(agency_id=int(a), role=r) for a, r in _split(row["c_involvements"])],
        grants=[Row(agency_id=int(a)) for (a,) in _split(row["c_grants"])],
        tasks=[Row(id=int(i), agency_id=int(a), status=s)
               for i, a, s in _split(row["c_tasks"])],
        services=[Row(service_code=c) for (c,) in _split(row["c_services"])],
        members=frozenset(members), meeting=meeting, inactive=inactive,
        next_meeting=(row["n_id"], row["n_at"]) if row["n_id"] is not None else None,
        transition_ids=[row["x_t1"], row["x_t2"]] if row.get("x_t1") else [],
    )
    access.seed(session, actor, table.id, chairs=bool(row["c_chairs"]), members=members)
    seed_sectors(session, members)
    if head_read:
        audit.seed_head(session, audit.chain_for(context.id), row["h_seq"], row["h_hash"])
    return context


def read_table(session: Session, actor: Any, table_id: int
               ) -> tuple[TableView, dict[int, str], int | None] | None:
    """A draft's table and its members (with sectors), seeded for the gatekeeper, and on
    PostgreSQL the new situation's id (so the draft is all in the one write)."""
    connection = connection_of(session)
    dialect = connection.dialect.name
    prepared = _TABLE_QUERY.get(dialect)
    if prepared is None:
        query = select(*_TABLE_COLUMNS, *_about_table(_T.c.id)).where(
            _T.c.id == bindparam("table_id"))
        if dialect == "postgresql":
            query = query.add_columns(_next_id(Situation).label("x_id"))
        prepared = _TABLE_QUERY[dialect] = PreparedRead(query)
    if session.new or session.dirty or session.deleted:
        session.flush()
    row = prepared.first(connection, {"table_id": table_id, "actor_id": actor.id})
    if row is None:
        return None
    members, _inactive = _members(row["c_members"])
    access.seed(session, actor, table_id, chairs=bool(row["c_chairs"]), members=members)
    table = TableView(**{name: row[f"t_{name}"] for name in TableView.__dataclass_fields__})
    return table, members, row.get("x_id")


_TABLE_QUERY: dict[str, PreparedRead] = {}



# -- the one write ----------------------------------------------------------------------------
#: Rows of a situation's aggregate: what a session holds of them reloads after a lean command.
_AGGREGATE = (Situation, SituationRiskFactor, Involvement, DisclosureGrant, Task,
              SituationService, ReportBack, Transition, Flag)


def save(session: Session, context: SituationContext) -> Situation:
    """The command's changes to its situation, with its version step and check, in the
    transaction's one write; returns the situation as the ORM knows it, read only if the
    caller reads it (a web view that redirects never does)."""
    if context.changes:
        appends.update_checked(
            session, Situation, context.id, context.version, dict(context.changes),
            ConcurrentEdit("this situation was changed by someone else at the same time; "
                           "reload and try again"))
        context.changes.clear()
        object.__setattr__(context, "version", context.version + 1)
    return held(session, context.id)


_SITUATIONS = Situation.__mapper__


def held(session: Session, situation_id: int) -> Situation:
    """The ORM's situation for a caller, as the database will have it: what the session held
    of it is expired, and a situation it did not hold is a placeholder that loads on use."""
    expire_held(session, lambda obj: isinstance(obj, _AGGREGATE) and getattr(
        obj, "id" if isinstance(obj, Situation) else "situation_id", None) == situation_id)
    found = session.identity_map.get(_SITUATIONS.identity_key_from_primary_key((situation_id,)))
    if isinstance(found, Situation):
        return found
    placeholder = Situation()
    placeholder.id = situation_id
    make_transient_to_detached(placeholder)
    session.add(placeholder)
    return placeholder
