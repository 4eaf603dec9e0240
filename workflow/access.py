"""Who may do and see what: roles (as data) x agency scope x disclosure grants.

Every adapter asks these functions; none keeps its own copy of the rules.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction, joinedload

from workflow import stages
from workflow.errors import NotFound, PermissionDenied
from workflow.models import Situation, TableMembership, User, UserTableScope

# A role is a set of permissions; the scope (own agency, own tables) is applied per question.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "agency_rep": frozenset(
        {"situation.draft", "situation.view", "identity.read", "intervention.record"}
    ),
    "chair": frozenset(
        {
            "situation.draft",
            "situation.view",
            "identity.read",
            "intervention.record",
            "meeting.run",
            "table.coordinate",
            "reports.view",
        }
    ),
    "manager": frozenset({"reports.view"}),
    "admin": frozenset({"directory.manage", "rules.manage", "notifications.manage"}),
}


def has_permission(actor: User, permission: str) -> bool:
    return actor.active and permission in ROLE_PERMISSIONS.get(actor.role, frozenset())


#: Why a role is refused each permission, as a sentence a person reads (and a translator
#: translates whole), never the permission's code.
_REFUSED = {
    "situation.draft": "Your role may not present situations.",
    "situation.view": "Your role may not see situations.",
    "identity.read": "Your role may not read identity.",
    "intervention.record": "Your role may not record interventions.",
    "meeting.run": "Your role may not run meetings.",
    "table.coordinate": "Your role may not coordinate a table.",
    "reports.view": "Your role may not see reports.",
    "directory.manage": "Your role may not manage the directory.",
    "rules.manage": "Your role may not manage rule packs.",
    "notifications.manage": "Your role may not manage notifications.",
}


def require_permission(actor: User, permission: str) -> None:
    if not has_permission(actor, permission):
        raise PermissionDenied(_REFUSED[permission])


def table_ids_in_scope(session: Session, actor: User) -> set[int]:
    """Tables whose situations the actor may work on or report on (read once per transaction)."""
    cache: dict[int, set[int]] = session.info.setdefault(_SCOPE, {})
    if actor.id not in cache:
        cache[actor.id] = _table_ids_in_scope(session, actor)
    return cache[actor.id]


_SCOPE = "hubtable.access.scope"


@event.listens_for(Session, "after_transaction_end")
def _forget_scope(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_SCOPE, None)
        session.info.pop(_MEMBERS, None)
        session.info.pop(_CHAIRS, None)


def _table_ids_in_scope(session: Session, actor: User) -> set[int]:
    if actor.role in ("chair", "manager"):
        scoped = set(
            session.scalars(
                select(UserTableScope.table_id).where(UserTableScope.user_id == actor.id)
            )
        )
        return scoped
    if actor.role == "agency_rep" and actor.agency_id is not None:
        return set(
            session.scalars(
                select(TableMembership.table_id).where(
                    TableMembership.agency_id == actor.agency_id
                )
            )
        )
    return set()


def agency_sits_at(session: Session, agency_id: int, table_id: int) -> bool:
    """Whether the agency is a member of the table (asked once per transaction and pair)."""
    cache: dict[tuple[int, int], bool] = session.info.setdefault(_MEMBERS, {})
    key = (agency_id, table_id)
    if key not in cache:
        cache[key] = session.scalar(
            select(TableMembership.id).where(
                TableMembership.agency_id == agency_id, TableMembership.table_id == table_id
            )
        ) is not None
    return cache[key]


_MEMBERS = "hubtable.access.members"


@event.listens_for(Session, "transient_to_pending")
@event.listens_for(Session, "persistent_to_deleted")
def _membership_changed(session: Session, instance: object) -> None:
    if isinstance(instance, TableMembership):
        session.info.pop(_MEMBERS, None)
    elif isinstance(instance, UserTableScope):
        session.info.pop(_CHAIRS, None)


def chairs_table(session: Session, actor: User, table_id: int) -> bool:
    if not has_permission(actor, "meeting.run"):
        return False
    seeded = session.info.get(_CHAIRS, {}).get((actor.id, table_id))
    return seeded if seeded is not None else table_id in table_ids_in_scope(session, actor)


def seed(session: Session, actor: User, table_id: int, *, chairs: bool,
         members: Iterable[int]) -> None:
    """What a command's one read already found (workflow.situation_context): whether the actor
    chairs the table and which agencies sit at it, kept for this transaction like an answer."""
    session.info.setdefault(_CHAIRS, {})[(actor.id, table_id)] = chairs
    known: dict[tuple[int, int], bool] = session.info.setdefault(_MEMBERS, {})
    sitting = set(members)
    for agency in sitting:
        known[(agency, table_id)] = True
    if actor.agency_id is not None:
        known[(actor.agency_id, table_id)] = actor.agency_id in sitting


_CHAIRS = "hubtable.access.chairs"


def require_chair(session: Session, actor: User, table_id: int) -> None:
    if not chairs_table(session, actor, table_id):
        raise PermissionDenied("only a chair or coordinator of this table may do this")


def agency_involved(situation: Situation, agency_id: int | None) -> bool:
    """Originating, lead, assisting or granted: the agencies that know of this situation."""
    if agency_id is None:
        return False
    return (
        situation.originating_agency_id == agency_id
        or situation.lead_agency_id == agency_id
        or any(i.agency_id == agency_id for i in situation.involvements)
        or agency_id in situation.granted_agency_ids
    )


def can_view_situation(session: Session, actor: User, situation: Situation) -> bool:
    """The de-identified record: chairs of its table, and the agencies involved in it."""
    if not has_permission(actor, "situation.view"):
        return False
    if stages.is_private(situation.stage):  # a draft is its agency's own until submitted
        return actor.agency_id == situation.originating_agency_id
    if chairs_table(session, actor, situation.table_id):
        return True
    return agency_involved(situation, actor.agency_id)


def can_record_intervention(actor: User, situation: Situation) -> bool:
    """Report-backs, first contact and task progress: the lead and assisting agencies."""
    if not has_permission(actor, "intervention.record") or actor.agency_id is None:
        return False
    return situation.lead_agency_id == actor.agency_id or any(
        i.agency_id == actor.agency_id for i in situation.involvements
    )


def can_read_identity(actor: User, situation: Situation) -> bool:
    """Only confirmed users of a granted agency; never managers or administrators.

    A user an administrator created in (or moved into) an agency is not confirmed until a
    member of that agency, or a chair of its table, says so: administering the directory
    never yields identity (workflow.directory.confirm_identity_access).
    """
    return (
        has_permission(actor, "identity.read")
        and actor.identity_confirmed_at is not None
        and actor.agency_id is not None
        and actor.agency_id in situation.granted_agency_ids
    )


#: Every command reads its situation's table (scope, rule pack, language) and who is involved
#: and granted (the relations the gatekeeper asks for): one round trip, a handful of rows.
_WITH_TABLE = (joinedload(Situation.table), joinedload(Situation.involvements),
               joinedload(Situation.grants))


def load_visible_situation(session: Session, actor: User, situation_id: int) -> Situation:
    """Fetch a situation the actor may see; a hidden one looks exactly like a missing one."""
    situation = session.get(Situation, situation_id, options=_WITH_TABLE)
    if situation is None or not can_view_situation(session, actor, situation):
        raise NotFound(f"no situation {situation_id} that you may see")
    return situation
