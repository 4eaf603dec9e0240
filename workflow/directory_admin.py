"""Administering the directory, with separation of duties: it never yields identity.

Why apart from workflow/directory.py: that module holds the primitives an installation is set
up with (the demo, tests). These are the administrator's commands: each is declared in
workflow.stages, checked by the gatekeeper's relations, written to the hash-chained audit log,
and told to the affected agency's contact address (no identity, as always). A user an
administrator creates in, or moves into, an agency cannot read identity until a confirmed
member of that agency, its privacy contact, or (when it has no such member yet) a chair of a
table it sits at confirms them; the minutes of that table's next meeting say so.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import access, audit, directory, rulebook, stages
from workflow.errors import NotFound, PermissionDenied, ValidationError
from workflow.models import Agency, Table, TableMembership, User, UserTableScope, utcnow
from workflow.outbox import emit


def _require_admin(actor: User | None, command: str) -> None:
    """`None` is the operator at the console (`hubtable users add`): audited as the system."""
    if actor is not None and not access.has_permission(actor, "directory.manage"):
        raise PermissionDenied("only an administrator may %(value)s",
                               value=command.replace('_', ' '))


def _tell_agency(session: Session, agency_id: int | None, change: str) -> None:
    """The agency's contact hears of every change to its people or its tables."""
    if agency_id is None:
        return
    table_id = session.scalar(select(TableMembership.table_id).where(
        TableMembership.agency_id == agency_id).order_by(TableMembership.table_id).limit(1))
    emit(session, "directory.changed", table_id=table_id, agency_ids=[agency_id],
         extra={"change": change})


def _audit(session: Session, command: str, actor: User | None, **detail: object) -> None:
    audit.record(session, stages.STEPS[command].audit, actor=actor, detail=dict(detail))


def add_user(session: Session, actor: User | None, *, email: str, display_name: str,
             password: str, role: str, agency_id: int | None = None,
             table_ids: list[int] | None = None, language: str = "en") -> User:
    """A new account; it may read identity only once confirmed (never by the administrator)."""
    _require_admin(actor, "create_user")
    directory.check_role(role, agency_id)
    user = directory.create_user(session, email=email, display_name=display_name,
                                 password=password, role=role, agency_id=agency_id,
                                 table_ids=table_ids, language=language, confirmed=False)
    _audit(session, "create_user", actor, user_id=user.id, role=role, agency_id=agency_id,
           table_ids=sorted(table_ids or []))
    _tell_agency(session, agency_id, "user.create")
    return user


class Keep(Enum):
    """`agency_id=KEEP`: leave the user's agency as it is (None means "no agency")."""

    KEEP = "keep"


KEEP = Keep.KEEP


def update_user(session: Session, actor: User | None, user_id: int, *,
                role: str | None = None, agency_id: int | None | Keep = KEEP,
                active: bool | None = None, table_ids: list[int] | None = None) -> User:
    """Change a user's role, agency (None: no agency, for an administrator), tables or
    whether they may sign in; what is left out (None, KEEP) stays as it is.

    Moving a user to another agency (or giving them a role that reads identity) takes their
    confirmation away: the new agency confirms them itself.
    """
    _require_admin(actor, "update_user")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", field="user_id")
    new_role = user.role if role is None else role
    new_agency = user.agency_id if isinstance(agency_id, Keep) else agency_id
    if role is not None or not isinstance(agency_id, Keep):
        directory.check_role(new_role, new_agency)
    if new_agency is not None and new_agency != user.agency_id \
            and session.get(Agency, new_agency) is None:
        raise ValidationError("unknown agency %(agency_id)s", field="agency_id",
                              agency_id=new_agency)
    wanted = None if table_ids is None else set(directory.existing_table_ids(session, table_ids))
    before_agency = user.agency_id
    changed: dict[str, object] = {}
    if new_role != user.role:
        changed["role"] = new_role
        user.role = new_role
        user.identity_confirmed_at = user.identity_confirmed_by_id = None
    if new_agency != user.agency_id:
        changed["agency_id"] = new_agency
        user.agency_id = new_agency
        user.identity_confirmed_at = user.identity_confirmed_by_id = None
    if active is not None and active != user.active:
        changed["active"] = active
        user.active = active
        if not active:  # its cookies die now, and stay dead if the user is let back in
            directory.end_sessions(session, user)
    if wanted is not None and wanted != {s.table_id for s in user.scopes}:
        changed["table_ids"] = sorted(wanted)
        user.scopes = [UserTableScope(table_id=t) for t in sorted(wanted)]
    if changed:
        _audit(session, "update_user", actor, user_id=user.id, **changed)
        for agency in {before_agency, user.agency_id} - {None}:
            _tell_agency(session, agency, "user.update")
    return user


def confirmers_of(session: Session, user: User) -> str:
    """Who may confirm this user: 'agency' (a confirmed member exists) or 'chair'."""
    if user.agency_id is None:
        return "none"
    member = session.scalar(select(User.id).where(
        User.agency_id == user.agency_id, User.id != user.id, User.active.is_(True),
        User.identity_confirmed_at.is_not(None), User.role.in_(("agency_rep", "chair"))
    ).limit(1))
    return "agency" if member is not None else "chair"


def confirm_identity_access(session: Session, actor: User, user_id: int, *,
                            now: datetime | None = None) -> User:
    """A confirmed member (or the privacy contact) of the user's agency vouches for them; an
    agency with no such member yet is vouched for by a chair of a table it sits at."""
    access.require_permission(actor, "identity.read")
    user = session.get(User, user_id)
    if user is None or user.agency_id is None:
        raise NotFound(f"no user {user_id} to confirm", field="user_id")
    if user.id == actor.id:
        raise PermissionDenied("nobody confirms their own access to identity")
    if not access.has_permission(user, "identity.read"):
        raise ValidationError("this user's role never reads identity", field="user_id")
    if not may_confirm(session, actor, user):
        raise PermissionDenied(
            "a confirmed member of the user's own agency confirms them; an agency with no "
            "such member yet is confirmed by a chair of a table it sits at")
    via_chair_of: int | None = None
    if actor.agency_id != user.agency_id:
        tables = set(session.scalars(select(TableMembership.table_id).where(
            TableMembership.agency_id == user.agency_id)))
        via_chair_of = min(tables & access.table_ids_in_scope(session, actor))
    if user.identity_confirmed_at is None:
        user.identity_confirmed_at = now or utcnow()
        user.identity_confirmed_by_id = actor.id
        _audit(session, "confirm_identity_access", actor, user_id=user.id,
               agency_id=user.agency_id, table_id=via_chair_of)
        _tell_agency(session, user.agency_id, "user.identity_confirmed")
    return user


def add_agency(session: Session, actor: User | None, *, slug: str, name: str, sector: str,
               contact_email: str = "", language: str = "en",
               table_ids: list[int] | None = None) -> Agency:
    _require_admin(actor, "create_agency")
    agency = directory.create_agency(session, slug=slug, name=name, sector=sector,
                                     contact_email=contact_email, language=language,
                                     table_ids=table_ids)
    _audit(session, "create_agency", actor, agency_id=agency.id, sector=sector,
           table_ids=sorted(table_ids or []))
    _tell_agency(session, agency.id, "agency.create")
    return agency


def set_memberships(session: Session, actor: User | None, agency_id: int,
                    table_ids: list[int]) -> Agency:
    """Which tables an agency sits at."""
    _require_admin(actor, "update_membership")
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"no agency {agency_id}", field="agency_id")
    wanted = set(directory.existing_table_ids(session, table_ids))
    have = {m.table_id: m for m in agency.memberships}
    for table_id in set(have) - wanted:
        session.delete(have[table_id])
    for table_id in wanted - set(have):
        session.add(TableMembership(table_id=table_id, agency_id=agency.id))
    if wanted != set(have):
        _audit(session, "update_membership", actor, agency_id=agency.id,
               table_ids=sorted(wanted))
        _tell_agency(session, agency.id, "membership.update")
    return agency


def add_table(session: Session, actor: User | None, **fields: object) -> Table:
    _require_admin(actor, "create_table")
    table = directory.create_table(session, **fields)  # type: ignore[arg-type]
    rulebook.freeze_shipped(session, table.rule_pack_name, table.rule_pack_version)
    _audit(session, "create_table", actor, table_id=table.id, code=table.code)
    return table


def pending_confirmations(session: Session, actor: User) -> list[User]:
    """Users waiting for identity access that this actor may confirm."""
    access.require_permission(actor, "identity.read")
    waiting = session.scalars(select(User).where(
        User.identity_confirmed_at.is_(None), User.active.is_(True),
        User.agency_id.is_not(None), User.id != actor.id,
        User.role.in_(("agency_rep", "chair"))).order_by(User.email)).all()
    return [u for u in waiting if may_confirm(session, actor, u)]


def may_confirm(session: Session, actor: User, user: User) -> bool:
    if actor.agency_id == user.agency_id and actor.active and (
            actor.identity_confirmed_at is not None or actor.privacy_contact) \
            and access.has_permission(actor, "identity.read"):
        return True
    # The chair vouching is a confirmed reader: a chair an administrator just created could
    # otherwise confirm the administrator's own new user (directory work yielding identity).
    if confirmers_of(session, user) != "chair" or not access.has_permission(actor, "meeting.run") \
            or actor.identity_confirmed_at is None or not actor.active:
        return False
    tables = set(session.scalars(select(TableMembership.table_id).where(
        TableMembership.agency_id == user.agency_id)))
    return bool(tables & access.table_ids_in_scope(session, actor))
