"""Agencies' API tokens: issued by an operator, listed, revoked, and expiring.

Why here and not in the web adapter: a token is the agency's key to act through the API, so who
holds one, until when, and who issued or revoked it belong to the core and its audit log.
Only a token's SHA-256 is kept; the token itself is shown once, when it is issued. A token that
is unknown, revoked or expired is refused alike, after the same single lookup by hash, so that
a caller cannot tell which of the three it holds.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from workflow import access, audit
from workflow.errors import NotFound, ValidationError
from workflow.models import Agency, ApiToken, User, utcnow

#: A year: an agency's integration keeps running through a year of operation, and a token
#: forgotten in a config file stops by itself; an operator may pass up to MAX_DAYS.
DEFAULT_DAYS = 365
MAX_DAYS = 3650
LABEL_LIMIT = 100  # the column's length
#: last_used_at is written at most this often per token: a busy client does not write on
#: every call, and an operator still sees to the minute whether a token is in use.
TOUCH_EVERY = timedelta(minutes=1)
_PREFIX = "ht_"


@dataclass(frozen=True)
class Issued:
    """A new token: `token` is shown once and kept nowhere; `row` is what is kept."""

    token: str
    row: ApiToken


@dataclass(frozen=True)
class TokenView:
    """One token as an operator lists it: never the token, never its hash."""

    id: int
    agency: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    status: str  # active | expired | revoked


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_live(row: ApiToken, now: datetime) -> bool:
    """Neither revoked nor past its expiry (no expiry: tokens issued before migration 0018)."""
    return row.revoked_at is None and (row.expires_at is None or row.expires_at > now)


def _status(row: ApiToken, now: datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    return "active" if is_live(row, now) else "expired"


def issue_api_token(session: Session, agency: Agency, label: str = "", *,
                    days: int | None = DEFAULT_DAYS) -> str:
    """The primitive an installation is set up with (the demo, tests): no audit entry."""
    return _new_token(session, agency, label, days, utcnow()).token


def _new_token(session: Session, agency: Agency, label: str, days: int | None,
               now: datetime) -> Issued:
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise ValidationError("a token's lifetime is a whole number of days from 1 to "
                              "%(most)s", field="days", most=MAX_DAYS)
    label = label.strip()
    if len(label) > LABEL_LIMIT:
        raise ValidationError("%(what)s is limited to %(limit)s characters", field="label",
                              what="a label", limit=LABEL_LIMIT)
    token = _PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(agency_id=agency.id, label=label, token_hash=token_hash(token),
                   created_at=now, expires_at=now + timedelta(days=days) if days else None)
    session.add(row)
    session.flush()
    return Issued(token, row)


def agency_by_slug(session: Session, slug: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.slug == slug))
    if agency is None:
        raise NotFound("no agency %(slug)r", slug=slug)
    return agency


def _require_admin(actor: User | None) -> None:
    """A token acts for a whole agency, so only an administrator hands one out, lists or
    revokes them; `None` is the operator at the console, audited as the system."""
    if actor is not None:
        access.require_permission(actor, "directory.manage")


def issue(session: Session, agency: Agency, *, label: str = "", days: int = DEFAULT_DAYS,
          actor: User | None = None, now: datetime | None = None) -> Issued:
    """An operator's new token for an active agency, audited (without the token).

    `actor` None is the operator at the console, audited as the system (as `users add`)."""
    _require_admin(actor)
    if not agency.active:
        raise ValidationError("agency %(slug)s is not active", slug=agency.slug)
    issued = _new_token(session, agency, label, days, now or utcnow())
    row = issued.row
    audit.record(session, "api_token.issue", actor=actor, now=row.created_at, detail={
        "token_id": row.id, "agency_id": agency.id, "agency": agency.slug, "label": row.label,
        "expires_at": row.expires_at.isoformat() if row.expires_at else None})
    return issued


def revoke(session: Session, token_id: int, *, actor: User | None = None,
           agency_id: int | None = None, now: datetime | None = None
           ) -> tuple[ApiToken, bool]:
    """Revoke a token: (the token, whether this call revoked it). Revoking a revoked token
    changes nothing and writes no second audit entry; the caller says it was already done.

    With `agency_id` (an agency's page), a token of another agency is unknown there, as if it
    did not exist: one agency's page never reaches another's keys."""
    _require_admin(actor)
    row = session.get(ApiToken, token_id)
    if row is None or (agency_id is not None and row.agency_id != agency_id):
        raise NotFound("no API token %(token_id)s", token_id=token_id)
    if row.revoked_at is not None:
        return row, False
    row.revoked_at = now or utcnow()
    audit.record(session, "api_token.revoke", actor=actor, now=row.revoked_at, detail={
        "token_id": row.id, "agency_id": row.agency_id, "agency": row.agency.slug})
    return row, True


def tokens(session: Session, agency: Agency | None = None, now: datetime | None = None, *,
           actor: User | None = None) -> list[TokenView]:
    """Every token (or one agency's), oldest first, as an operator lists them."""
    _require_admin(actor)
    now = now or utcnow()
    query = (select(ApiToken, Agency.slug).join(Agency, Agency.id == ApiToken.agency_id)
             .order_by(ApiToken.id))
    if agency is not None:
        query = query.where(ApiToken.agency_id == agency.id)
    return [TokenView(row.id, slug, row.label, row.created_at, row.expires_at, row.revoked_at,
                      row.last_used_at, _status(row, now))
            for row, slug in session.execute(query).tuples()]


def agency_for_token(session: Session, token: str, now: datetime | None = None
                     ) -> Agency | None:
    """The agency a live token belongs to, else None.

    One indexed lookup by the token's SHA-256 (never by the token), whether the token is
    unknown, revoked, expired or live: the three refusals take the same path. A live token's
    last use is noted (at most once a minute)."""
    now = now or utcnow()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or not is_live(row, now):
        return None
    _touch(session, row, now)
    return row.agency


def _touch(session: Session, row: ApiToken, now: datetime) -> None:
    """Note the token's use, unless noted within the minute or another call is noting it now
    (SKIP LOCKED on PostgreSQL: two calls at once never queue on the token's row)."""
    if row.last_used_at is not None and now - row.last_used_at < TOUCH_EVERY:
        return
    due = (select(ApiToken.id)
           .where(ApiToken.id == row.id,
                  or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOUCH_EVERY))
           .with_for_update(skip_locked=True))
    session.execute(update(ApiToken).where(ApiToken.id.in_(due)).values(last_used_at=now)
                    .execution_options(synchronize_session=False))
