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

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflow import access, agency_notices, audit, directory, rulebook, stages
from workflow.errors import NotFound, PermissionDenied, ValidationError
from workflow.models import (
    Agency,
    Involvement,
    Situation,
    Table,
    TableMembership,
    User,
    UserTableScope,
    utcnow,
)
from workflow.outbox import emit, emitted_in_transaction


def _require_admin(actor: User | None, command: str) -> None:
    """`None` is the operator at the console (`hubtable users add`): audited as the system."""
    if actor is not None and not access.has_permission(actor, "directory.manage"):
        raise PermissionDenied("only an administrator may %(value)s",
                               value=command.replace('_', ' '))


# What already told an agency of this save (its access ending or coming back says it all).
_TOLD = ("directory.changed", *agency_notices.ACCESS_NOTICES)


def _tell_agency(session: Session, agency_id: int | None, change: str) -> None:
    """The agency's contact hears of every change to its people or its tables."""
    if agency_id is None or any(
            event.event_type in _TOLD and agency_id in event.agency_ids
            for event in emitted_in_transaction(session)):
        return  # one notice per save: an agency page saving settings and tables at once
    emit(session, "directory.changed", table_id=agency_notices.home_table(session, agency_id),
         agency_ids=[agency_id], extra={"change": change})


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
    _keep_an_administrator(session, user, new_role, active)
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


def _keep_an_administrator(session: Session, user: User, new_role: str,
                           active: bool | None) -> None:
    """The installation keeps one active administrator: without one, nobody could ever
    administer it again from the web (the web page and `hubtable users` alike).

    The active administrators are read locked (PostgreSQL), so that two administrators
    demoting each other at once cannot both be let through: the second waits, then counts.
    """
    if user.role != "admin" or not user.active or (new_role == "admin" and active is not False):
        return
    admins = session.scalars(select(User.id).where(
        User.role == "admin", User.active.is_(True)).order_by(User.id).with_for_update()).all()
    if set(admins) - {user.id}:
        return
    if new_role != "admin":
        raise ValidationError("the last active administrator keeps the administrator role: "
                              "make another user an administrator first", field="role")
    raise ValidationError("the last active administrator cannot be deactivated: make another "
                          "user an administrator first", field="active")


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


def update_agency(session: Session, actor: User | None, agency_id: int, *,
                  contact_email: str | None = None, language: str | None = None,
                  active: bool | None = None, open_work_understood: bool = False) -> Agency:
    """Change an agency's contact address, the language it is told in, or whether it is
    active; what is left out (None) stays as it is. Its tables: `set_memberships`.

    Deactivating ends its users' sessions at once, and they cannot sign in until it is active
    again (directory.authenticate); its API and its notifications stop with it. An agency
    that leads or assists open situations may still be deactivated, once the administrator
    says they understand (`open_work_understood`): those situations lose its hands, and the
    chairs of their tables are told which. The agency itself is told that its access ended,
    or came back (workflow.agency_notices).
    """
    _require_admin(actor, "update_agency")
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"no agency {agency_id}", field="agency_id")
    if contact_email is not None:
        check_contact_email(contact_email)
    if language is not None:
        directory.check_language(language)
    if active is False and agency.active and not open_work_understood:
        count = open_situations_of(session, actor, agency.id)
        if count:
            raise ValidationError(
                "this agency leads or assists %(count)s open situations: confirm that you "
                "understand before deactivating it", field="open_work_understood", count=count)
    changed = _apply_agency_changes(session, agency, contact_email, language, active)
    if changed:
        # Names what changed, never the address itself (it may be a person's).
        _audit(session, "update_agency", actor, agency_id=agency.id, changed=sorted(changed),
               **{k: v for k, v in changed.items() if k != "contact_email"})
        if "active" in changed:  # its own notice, and the chairs of its open work
            agency_notices.tell_access_changed(session, agency)
        else:
            _tell_agency(session, agency.id, "agency.update")
    return agency


def _apply_agency_changes(session: Session, agency: Agency, contact_email: str | None,
                          language: str | None, active: bool | None) -> dict[str, object]:
    changed: dict[str, object] = {}
    if contact_email is not None and contact_email != agency.contact_email:
        agency.contact_email = changed["contact_email"] = contact_email
    if language is not None and language != agency.language:
        agency.language = changed["language"] = language
    if active is not None and active != agency.active:
        agency.active = changed["active"] = active
        if not active:  # every cookie of its users dies now, and stays dead once reactivated
            for user in session.scalars(select(User).where(User.agency_id == agency.id)):
                directory.end_sessions(session, user)
    return changed


def check_contact_email(contact_email: str) -> str:
    """The same checks as an agency's creation (directory.create_agency): one address a mail
    header carries as it is, or none."""
    if contact_email and not directory._EMAIL.match(contact_email):
        raise ValidationError("that contact email does not look like an address",
                              field="contact_email")
    return directory.check_length(contact_email, 200, "contact_email", "the contact email")


def open_situations_of(session: Session, actor: User | None, agency_id: int) -> int:
    """How many open situations the agency leads or assists: a count, never which ones (an
    administrator sees no situation), said before the agency is deactivated."""
    _require_admin(actor, "update_agency")
    involved = select(Involvement.situation_id).where(Involvement.agency_id == agency_id)
    return session.scalar(select(func.count(Situation.id)).where(
        Situation.stage.in_(stages.OPEN_STAGES),
        or_(Situation.lead_agency_id == agency_id, Situation.id.in_(involved)))) or 0


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
