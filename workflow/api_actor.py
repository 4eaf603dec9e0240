"""The user an agency's own systems act as when they call the API with the agency's token.

Why a user at all: every command of the core takes an acting `User`, checks its role and agency
scope and names it in the audit log. An API call is the agency acting, so it gets one service
user per agency, with the role `agency_rep` (no more than a person of that agency may do) and a
password hash no password can ever match (nobody can sign in as it on the web). The access rules
and the audit entries then stay the core's, unchanged.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow import audit
from workflow.errors import PermissionDenied
from workflow.models import Agency, User

#: Service users' emails: `api+<slug>@` this domain (RFC 2606 reserves `.invalid`: no mailbox).
API_EMAIL_DOMAIN = "api.hubtable.invalid"
#: Not an Argon2 hash, so `directory.check_password` answers False for every password.
UNUSABLE_PASSWORD_HASH = "!api-token-only"


def api_email(agency: Agency) -> str:
    return f"api+{agency.slug}@{API_EMAIL_DOMAIN}"


def api_actor(session: Session, agency: Agency) -> User:
    """The agency's API service user, created on its first call.

    Two first calls at once may both try to create it: the loser's insert fails on the unique
    email inside a savepoint, and it takes the winner's row instead.
    """
    if not agency.active:
        raise PermissionDenied("agency %(slug)s is not active", slug=agency.slug)
    email = api_email(agency)
    user = session.scalar(select(User).where(User.email == email))
    if user is not None:
        if user.agency_id != agency.id or user.role != "agency_rep" or not user.active:
            raise PermissionDenied("this agency's API user is disabled; ask an administrator")
        return user
    try:
        with session.begin_nested():
            user = User(email=email, display_name=f"API ({agency.name})"[:120],
                        password_hash=UNUSABLE_PASSWORD_HASH, role="agency_rep",
                        agency_id=agency.id, language=agency.language or "en")
            session.add(user)
            session.flush()
    except IntegrityError:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            raise
        return user
    audit.record(session, "user.api_actor_created", actor=user,
                 detail={"agency_id": agency.id})
    return user
