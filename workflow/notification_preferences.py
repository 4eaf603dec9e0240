"""Who hears of an event, by which channel, how often: preferences and their defaults.

Agencies choose email (to their contact address) and a webhook (to their own systems); users
choose their in-app inbox and a personal email. Without a stored choice the defaults hold: an
agency gets email at once, its users get an inbox item, and a chair reached as a chair also
gets a personal email; a webhook is sent only once an agency configured one. Only email may be
gathered into a daily digest: an inbox is already a list, and a webhook is read by a machine.
An inactive agency hears nothing, but for the one notice that its access ended (its contact
address alone: workflow.agency_notices).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from workflow import access, audit, outbound
from workflow.agency_notices import DEACTIVATED as ACCESS_ENDED
from workflow.errors import NotFound, PermissionDenied, ValidationError
from workflow.models import (
    Agency,
    NotificationPreference,
    OutboxEvent,
    User,
    UserTableScope,
    utcnow,
)
from workflow.models.notification import CADENCES

CHANNELS_BY_OWNER: dict[str, tuple[str, ...]] = {
    "agency": ("email", "webhook"),
    "user": ("inbox", "email"),
}
DIGEST_CHANNELS = frozenset({"email"})
SECRET_MIN_LENGTH = 16
# Users of these roles receive situation notifications; managers and administrators see no
# situation and would only get links they cannot open.
RECIPIENT_ROLES = ("agency_rep", "chair")


@dataclass(frozen=True)
class ChannelChoice:
    """One channel as it applies to an agency or a user (stored or default)."""

    channel: str
    enabled: bool
    cadence: str
    webhook_url: str | None = None
    has_secret: bool = False
    explicit: bool = False


def _default(owner: str, channel: str, *, as_chair: bool = False, agency: Agency | None = None
             ) -> ChannelChoice:
    if owner == "agency":
        enabled = channel == "email" and bool(agency and agency.contact_email)
    else:
        enabled = channel == "inbox" or (channel == "email" and as_chair)
    return ChannelChoice(channel=channel, enabled=enabled, cadence="immediate")


def _choice(pref: NotificationPreference) -> ChannelChoice:
    return ChannelChoice(channel=pref.channel, enabled=pref.enabled, cadence=pref.cadence,
                         webhook_url=pref.webhook_url, has_secret=bool(pref.webhook_secret),
                         explicit=True)


def choices_for_agency(session: Session, agency_id: int) -> list[ChannelChoice]:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"no agency {agency_id}")
    stored = {p.channel: p for p in session.scalars(
        select(NotificationPreference).where(NotificationPreference.agency_id == agency_id))}
    return [_choice(stored[c]) if c in stored else _default("agency", c, agency=agency)
            for c in CHANNELS_BY_OWNER["agency"]]


def choices_for_user(session: Session, user_id: int) -> list[ChannelChoice]:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    stored = {p.channel: p for p in session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id))}
    return [_choice(stored[c]) if c in stored
            else _default("user", c, as_chair=user.role == "chair")
            for c in CHANNELS_BY_OWNER["user"]]


def _check_may_set(actor: User, *, agency_id: int | None, user_id: int | None) -> None:
    if access.has_permission(actor, "notifications.manage"):
        return
    if user_id is not None and actor.active and actor.id == user_id:
        return
    if (agency_id is not None and actor.active and actor.agency_id == agency_id
            and actor.role in RECIPIENT_ROLES):
        return
    raise PermissionDenied("you may change only your own or your agency's notifications")


SECRET_MAX_LENGTH = 100  # sealed, it must still fit the 200-character column


def _check_choice(owner: str, channel: str, cadence: str) -> None:
    """The channel is one this kind of owner may choose, at a cadence it has."""
    if channel not in CHANNELS_BY_OWNER[owner]:
        raise ValidationError(
            "%(value)s may choose %(values)s, not %(channel)r", field="channel",
            value='an agency' if owner == 'agency' else 'a user',
            values=' or '.join(CHANNELS_BY_OWNER[owner]), channel=channel)
    if cadence not in CADENCES:
        raise ValidationError("cadence is %(values)s, not %(cadence)r",
                              field="cadence", values=' or '.join(CADENCES), cadence=cadence)
    if cadence != "immediate" and channel not in DIGEST_CHANNELS:
        raise ValidationError("%(channel)s is always sent at once; only email has a daily digest",
                              field="cadence", channel=channel)


def _set_webhook(pref: NotificationPreference, *, enabled: bool, url: str | None,
                 secret: str | None, master_key: bytes | None,
                 allow: Sequence[outbound.Network]) -> None:
    """A webhook's URL (checked) and secret (sealed); an enabled one needs both."""
    if url is not None:
        pref.webhook_url = outbound.check_url(url, allow)
    if secret is not None:
        if not SECRET_MIN_LENGTH <= len(secret) <= SECRET_MAX_LENGTH:
            raise ValidationError(
                "a webhook secret has %(SECRET_MIN_LENGTH)s to %(SECRET_MAX_LENGTH)s "
                "characters", field="webhook_secret", SECRET_MIN_LENGTH=SECRET_MIN_LENGTH,
                SECRET_MAX_LENGTH=SECRET_MAX_LENGTH)
        assert master_key is not None  # set_preference checks it on entry
        pref.webhook_secret = outbound.seal_secret(master_key, secret)
    if enabled and not (pref.webhook_url and pref.webhook_secret):
        raise ValidationError("a webhook needs a URL and a secret to sign its requests",
                              field="webhook_url" if not pref.webhook_url
                              else "webhook_secret")


def set_preference(
    session: Session, actor: User, *, channel: str, enabled: bool,
    cadence: str = "immediate", agency_id: int | None = None, user_id: int | None = None,
    webhook_url: str | None = None, webhook_secret: str | None = None,
    now: datetime | None = None, master_key: bytes | None = None,
    allow: Sequence[outbound.Network] = (),
) -> NotificationPreference:
    """Store one channel choice for an agency or a user (the secret is kept if not given).

    A webhook URL must pass workflow.outbound.check_url (https, public addresses unless in
    `allow`); a secret is only ever stored sealed with a key derived from `master_key`, so a
    caller that gives a secret without the key is a programming error, not a plain-text row.
    """
    if webhook_secret is not None and master_key is None:
        raise TypeError("set_preference: a webhook secret needs master_key to be sealed")
    now = now or utcnow()
    if (agency_id is None) == (user_id is None):
        raise ValidationError("a preference belongs to one agency or one user", field="owner")
    owner = "agency" if agency_id is not None else "user"
    _check_choice(owner, channel, cadence)
    if owner == "agency" and session.get(Agency, agency_id) is None:
        raise NotFound(f"no agency {agency_id}")
    if owner == "user" and session.get(User, user_id) is None:
        raise NotFound(f"no user {user_id}")
    _check_may_set(actor, agency_id=agency_id, user_id=user_id)
    column = (NotificationPreference.agency_id == agency_id if owner == "agency"
              else NotificationPreference.user_id == user_id)
    pref = session.scalar(select(NotificationPreference).where(
        column, NotificationPreference.channel == channel))
    if pref is None:
        pref = NotificationPreference(agency_id=agency_id, user_id=user_id, channel=channel)
        session.add(pref)
    if channel == "webhook":
        _set_webhook(pref, enabled=enabled, url=webhook_url, secret=webhook_secret,
                     master_key=master_key, allow=allow)
    elif webhook_url or webhook_secret:
        raise ValidationError("a URL and a secret belong to the webhook channel only",
                              field="webhook_url")
    pref.enabled, pref.cadence, pref.updated_at = enabled, cadence, now
    session.flush()
    audit.record(session, "notifications.preference", actor=actor, now=now,
                 detail={"owner": owner, "owner_id": agency_id or user_id, "channel": channel,
                         "enabled": enabled, "cadence": cadence})
    return pref


@dataclass(frozen=True)
class Route:
    """One recipient and channel an event goes to, as decided when the event is fanned out."""

    channel: str
    recipient_kind: str
    recipient_id: int
    address: str
    language: str
    digest: bool


def _language(value: str | None) -> str:
    return value if value in ("en", "vi") else "en"


class Router:
    """Resolves events' audiences for one batch, loading agencies, users and choices once."""

    def __init__(self, session: Session, events: list[OutboxEvent]) -> None:
        agency_ids = {int(a) for e in events for a in (e.agency_ids or [])}
        ended = {int(a) for e in events if e.event_type == ACCESS_ENDED
                 for a in (e.agency_ids or [])}
        chair_tables = {e.table_id for e in events if e.to_chairs and e.table_id is not None}
        loaded = list(session.scalars(select(Agency).where(
            Agency.id.in_(agency_ids), or_(Agency.active.is_(True), Agency.id.in_(ended)))))
        self.agencies = {a.id: a for a in loaded if a.active}
        self.ended = {a.id: a for a in loaded if not a.active}
        self.members: dict[int, list[User]] = {}
        for user in session.scalars(select(User).where(
                User.agency_id.in_(self.agencies), User.active.is_(True),
                User.role.in_(RECIPIENT_ROLES)).order_by(User.id)):
            self.members.setdefault(user.agency_id or 0, []).append(user)
        self.chairs: dict[int, list[User]] = {}
        for table_id, user in session.execute(
                select(UserTableScope.table_id, User).join(User, User.id == UserTableScope.user_id)
                .where(UserTableScope.table_id.in_(chair_tables), User.role == "chair",
                       User.active.is_(True)).order_by(User.id)):
            self.chairs.setdefault(table_id, []).append(user)
        user_ids = {u.id for us in (*self.members.values(), *self.chairs.values()) for u in us}
        self.prefs: dict[tuple[str, int, str], NotificationPreference] = {}
        for p in session.scalars(select(NotificationPreference).where(or_(
                NotificationPreference.agency_id.in_(self.agencies),
                NotificationPreference.user_id.in_(user_ids)))):
            owner = ("agency", p.agency_id) if p.agency_id is not None else ("user", p.user_id)
            self.prefs[(owner[0], int(owner[1] or 0), p.channel)] = p

    def _agency_routes(self, agency: Agency) -> list[Route]:
        routes = []
        for channel in CHANNELS_BY_OWNER["agency"]:
            pref = self.prefs.get(("agency", agency.id, channel))
            if channel == "email":
                enabled = pref.enabled if pref else True
                if enabled and agency.contact_email:
                    routes.append(Route("email", "agency", agency.id, agency.contact_email,
                                        _language(agency.language),
                                        bool(pref and pref.cadence == "daily_digest")))
            elif pref and pref.enabled and pref.webhook_url and pref.webhook_secret:
                routes.append(Route(channel, "agency", agency.id, pref.webhook_url,
                                    _language(agency.language), False))
        return routes

    def _user_routes(self, user: User, *, as_chair: bool) -> list[Route]:
        routes = []
        for channel in CHANNELS_BY_OWNER["user"]:
            pref = self.prefs.get(("user", user.id, channel))
            default = _default("user", channel, as_chair=as_chair)
            if not (pref.enabled if pref else default.enabled):
                continue
            address = user.email if channel == "email" else str(user.id)
            routes.append(Route(channel, "user", user.id, address, _language(user.language),
                                bool(pref and pref.cadence == "daily_digest")))
        return routes

    def _ended_routes(self, event: OutboxEvent) -> list[Route]:
        """That its access ended, to a deactivated agency's contact address alone, at once and
        whatever its choices: its users can no longer sign in to read it, and its webhook fed
        its systems situation work. Reactivated since, it is owed nothing (it hears that)."""
        return [Route("email", "agency", agency.id, agency.contact_email,
                      _language(agency.language), False)
                for agency in (self.ended.get(int(a)) for a in event.agency_ids or [])
                if agency is not None and agency.contact_email]

    def routes(self, event: OutboxEvent) -> list[Route]:
        """Every (channel, recipient) once, even if reached both as agency member and chair.

        An inactive agency is reached by no event but the one saying its access ended."""
        if event.event_type == ACCESS_ENDED:
            return self._ended_routes(event)
        found: dict[tuple[str, str, int], Route] = {}
        for agency_id in event.agency_ids or []:
            agency = self.agencies.get(int(agency_id))
            if agency is None:
                continue
            for route in self._agency_routes(agency):
                found.setdefault((route.channel, "agency", agency.id), route)
            for user in self.members.get(agency.id, []):
                for route in self._user_routes(user, as_chair=False):
                    found.setdefault((route.channel, "user", user.id), route)
        if event.to_chairs and event.table_id is not None:
            for user in self.chairs.get(event.table_id, []):
                for route in self._user_routes(user, as_chair=True):
                    found.setdefault((route.channel, "user", user.id), route)
        return list(found.values())


def webhook_of(session: Session, agency_id: int) -> NotificationPreference | None:
    return session.scalar(select(NotificationPreference).where(
        NotificationPreference.agency_id == agency_id,
        NotificationPreference.channel == "webhook"))


def remove_webhook(session: Session, actor: User, agency_id: int) -> None:
    """Forget an agency's webhook: its URL and secret are deleted, nothing more is sent."""
    if session.get(Agency, agency_id) is None:
        raise NotFound(f"no agency {agency_id}")
    _check_may_set(actor, agency_id=agency_id, user_id=None)
    pref = webhook_of(session, agency_id)
    if pref is not None:
        session.delete(pref)
    audit.record(session, "notifications.webhook_removed", actor=actor,
                 detail={"agency_id": agency_id})


def ping_webhook(session: Session, actor: User, agency_id: int, *, master_key: bytes,
                 allow: Sequence[outbound.Network] = (), now: datetime | None = None) -> int:
    """Send a signed ping (event `webhook.test`, no situation data); its HTTP status.

    A failure is a ValidationError with generic text (what the far side said is not shown).
    """
    import hashlib
    import hmac
    import json

    if session.get(Agency, agency_id) is None:
        raise NotFound(f"no agency {agency_id}")
    _check_may_set(actor, agency_id=agency_id, user_id=None)
    pref = webhook_of(session, agency_id)
    secret = outbound.open_secret(master_key, pref.webhook_secret) if (
        pref and pref.webhook_secret) else None
    if pref is None or not pref.webhook_url or not secret:
        raise ValidationError("set a webhook URL and secret first", field="webhook_url")
    body = json.dumps({"event": {"type": "webhook.test"}, "sent_at": (now or utcnow()).isoformat()},
                      sort_keys=True, separators=(",", ":")).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    try:
        status = outbound.post(pref.webhook_url, body, {
            "X-Hubtable-Event": "webhook.test", "X-Hubtable-Signature": signature}, allow=allow)
    except outbound.OutboundError as exc:
        raise ValidationError("The webhook test did not reach its URL: %(why)s.",
                              field="webhook_url", why=str(exc)) from None
    audit.record(session, "notifications.webhook_tested", actor=actor,
                 detail={"agency_id": agency_id, "status": status})
    return status
