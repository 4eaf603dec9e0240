"""The directory: tables, agencies and users (the administrator's work).

Passwords are hashed with Argon2id; API tokens live in workflow.api_tokens.
"""

from __future__ import annotations

import re
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import audit, rulebook
from workflow.errors import ValidationError
from workflow.models import (
    ROLES,
    Agency,
    Table,
    TableMembership,
    User,
    UserTableScope,
    utcnow,
)
from workflow.reference import load_catalog

_hasher = PasswordHasher()
#: An address one mail header can carry as it is: no comma, angle bracket, quote, space or
#: other character that would make it two recipients or a display name.
_EMAIL = re.compile(r"^[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(\.[\w-]+)+$")
#: The password every demo user has (printed by `hubtable demo`, published in the README):
#: nobody's own password.
PUBLISHED_PASSWORDS = frozenset({"hubtable-demo-2026"})
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1000  # Argon2 takes any length; a megabyte "password" only costs CPU
LANGUAGES = ("en", "vi")
#: A table keeps a closed situation's identity at most this long (a century): a longer period
#: is a typo, not a policy. 0 is allowed: the identity goes at the next purge after it ends.
MAX_RETENTION_DAYS = 36500
#: The installation's floor for a table's small-cell threshold: DOMAIN.md promises that
#: reports and exports hide counts from 1 to 4 (workflow/reports/suppression.py shows them as
#: "<5"); a table may be stricter, never laxer. At 1 the reports would hide nothing at all.
MIN_SMALL_CELL_THRESHOLD = 5
MAX_SMALL_CELL_THRESHOLD = 1000


def check_length(value: str, limit: int, field: str, what: str) -> str:
    """Refuse text longer than its column (PostgreSQL would fail the whole command)."""
    if len(value) > limit:
        raise ValidationError("%(what)s is limited to %(limit)s characters", field=field,
                              what=what, limit=limit)
    return value


def check_timezone(name: str, field: str = "timezone") -> str:
    """An IANA time zone that this machine knows (else every local time of the table fails)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not name or len(name) > 64:
        raise ValidationError("choose a time zone such as America/Toronto", field=field)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError("unknown time zone %(name)r; use a name such as America/Toronto",
                              field=field, name=name) from None
    return name


def check_language(language: str, field: str = "language") -> str:
    if language not in LANGUAGES:
        raise ValidationError("language is en or vi", field=field)
    return language


def check_weekday(weekday: int, field: str = "meeting_weekday") -> int:
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise ValidationError("the weekday is 0 (Monday) to 6 (Sunday)", field=field)
    return weekday


def check_holiday_region(country: str, subdivision: str | None) -> None:
    """A country (and subdivision) the holiday calendar knows, so due dates can be counted."""
    import holidays

    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValidationError("no holiday calendar for country %(country)r", field="country",
                              country=country)
    if subdivision and subdivision not in supported[country]:
        raise ValidationError("no holiday calendar for %(country)s-%(subdivision)s",
                              field="subdivision", country=country, subdivision=subdivision)


def existing_table_ids(session: Session, table_ids: list[int] | None,
                       field: str = "table_ids") -> list[int]:
    """The given table ids without repeats, each one a table that exists."""
    wanted = list(dict.fromkeys(table_ids or []))
    if not wanted:
        return []
    if any(isinstance(t, bool) or not isinstance(t, int) for t in wanted):
        raise ValidationError("table ids are whole numbers", field=field)
    found = set(session.scalars(select(Table.id).where(Table.id.in_(wanted))))
    missing = [t for t in wanted if t not in found]
    if missing:
        raise ValidationError("unknown table %(missing)s", field=field, missing=missing[0])
    return wanted


def hash_password(password: str) -> str:
    hash_length_checks(password)
    return _hasher.hash(password)


def check_new_password(password: str, email: str = "") -> None:
    """A password a person chooses: long enough (hash_password), and not one that a guess
    finds first (NIST SP 800-63B: refuse the predictable and the context-specific)."""
    hash_length_checks(password)
    local = email.split("@", 1)[0].lower()
    predictable = (len(set(password)) < 5 or password.isdigit()
                   or password in PUBLISHED_PASSWORDS
                   or (len(local) >= 4 and local in password.lower()))
    if predictable:
        raise ValidationError("that password is too easy to guess: use a few unrelated words",
                              field="password")


def hash_length_checks(password: str) -> None:
    check_length(password, MAX_PASSWORD, "password", "a password")
    if len(password) < MIN_PASSWORD:
        raise ValidationError("a password needs at least %(MIN_PASSWORD)s characters",
                              field="password", MIN_PASSWORD=MIN_PASSWORD)


def check_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, email: str, password: str) -> User | None:
    email = email.strip().lower()
    if len(email) > 254 or len(password) > MAX_PASSWORD:
        return None
    user = session.scalar(select(User).where(User.email == email))
    # The same work whether or not the user exists, is active in an active agency, or has a
    # hash no password matches (an agency's API user, workflow.api_actor): a refusal's timing
    # and its answer tell nothing either way.
    if user is None or not may_sign_in(user) or not user.password_hash.startswith("$argon2"):
        _hasher.hash("equalise-timing")
        return None
    if not check_password(user, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def may_sign_in(user: User) -> bool:
    """Active, and in an agency that is active too (or in none, as an administrator): an
    administrator's deactivating an agency keeps all its users out until it is active again."""
    return user.active and (user.agency is None or user.agency.active)


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not check_password(user, current):
        raise ValidationError("the current password is not right", field="current_password")
    check_new_password(new, user.email)
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    user.session_generation += 1
    audit.record(session, "user.password_change", actor=user)


def check_retention_days(days: object, field: str = "retention_days") -> int:
    """The days a table keeps a closed situation's identity: one rule for creating a table
    and for changing it later, so no path stores a period the other would refuse."""
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_RETENTION_DAYS:
        raise ValidationError("the retention period is a whole number of days from 0 to "
                              "%(most)s", field=field, most=MAX_RETENTION_DAYS)
    return days


def check_small_cell_threshold(value: object, field: str = "small_cell_threshold") -> int:
    """Reports hide counts below the threshold: below the floor they would reveal people."""
    if isinstance(value, bool) or not isinstance(value, int) \
            or not MIN_SMALL_CELL_THRESHOLD <= value <= MAX_SMALL_CELL_THRESHOLD:
        raise ValidationError("the small-cell threshold is a whole number from %(least)s to "
                              "%(most)s", field=field, least=MIN_SMALL_CELL_THRESHOLD,
                              most=MAX_SMALL_CELL_THRESHOLD)
    return value


def create_table(session: Session, *, code: str, name: str, country: str,
                 subdivision: str | None = None, language: str = "en", timezone: str = "UTC",
                 rule_pack_name: str = "ontario-four-filter", rule_pack_version: str | None = None,
                 meeting_weekday: int = 1, meeting_time: str = "10:00", region: str = "",
                 meeting_place: str = "", retention_days: int = 90,
                 small_cell_threshold: int = 5) -> Table:
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9-]{1,23}", code):
        raise ValidationError("a table code is 2-24 capital letters, digits or dashes",
                              field="code")
    if session.scalar(select(Table.id).where(Table.code == code)):
        raise ValidationError("table code %(code)s is taken", field="code", code=code)
    if not name.strip():
        raise ValidationError("give the table a name", field="name")
    check_length(name, 200, "name", "a table's name")
    check_length(region, 100, "region", "the region")
    check_length(meeting_place, 200, "meeting_place", "the place")
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise ValidationError("country is a two-letter code such as CA or VN", field="country")
    if subdivision is not None and not re.fullmatch(r"[A-Z0-9]{1,8}", subdivision):
        raise ValidationError("a subdivision is a short code such as ON", field="subdivision")
    check_holiday_region(country, subdivision)
    check_language(language)
    check_timezone(timezone)
    check_weekday(meeting_weekday)
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", meeting_time):
        raise ValidationError("meeting time is HH:MM", field="meeting_time")
    check_retention_days(retention_days)
    check_small_cell_threshold(small_cell_threshold)
    table = Table(code=code, name=name, country=country, subdivision=subdivision,
                  language=language, timezone=timezone, rule_pack_name=rule_pack_name,
                  rule_pack_version=rule_pack_version or rulebook.current_version(rule_pack_name),
                  meeting_weekday=meeting_weekday,
                  meeting_time=meeting_time, region=region, meeting_place=meeting_place,
                  retention_days=retention_days, small_cell_threshold=small_cell_threshold)
    session.add(table)
    session.flush()
    return table


def create_agency(session: Session, *, slug: str, name: str, sector: str,
                  contact_email: str = "", language: str = "en",
                  table_ids: list[int] | None = None) -> Agency:
    if not _SLUG.match(slug):
        raise ValidationError("an agency slug is lowercase letters, digits and dashes",
                              field="slug")
    if sector not in load_catalog().codes("sectors"):
        raise ValidationError("unknown sector %(sector)r", field="sector", sector=sector)
    if contact_email and not _EMAIL.match(contact_email):
        raise ValidationError("that contact email does not look like an address",
                              field="contact_email")
    if not name.strip():
        raise ValidationError("give the agency a name", field="name")
    check_length(name, 200, "name", "an agency's name")
    check_length(contact_email, 200, "contact_email", "the contact email")
    check_language(language)
    table_ids = existing_table_ids(session, table_ids)
    if session.scalar(select(Agency.id).where(Agency.slug == slug)):
        raise ValidationError("agency slug %(slug)s is taken", field="slug", slug=slug)
    check_agency_name_free(session, name)
    agency = Agency(slug=slug, name=name, sector=sector, contact_email=contact_email,
                    language=language)
    session.add(agency)
    session.flush()
    for table_id in table_ids or []:
        session.add(TableMembership(table_id=table_id, agency_id=agency.id))
    return agency


def agency_name_key(name: str) -> str:
    """What two agency names are compared by: trimmed, spaces collapsed, case folded (in
    Python, so that "CÔNG AN" and "Công an" are one name on SQLite as on PostgreSQL)."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def check_agency_name_free(session: Session, name: str) -> None:
    """Two agencies with one name could not be told apart in any list: refuse the second."""
    key = agency_name_key(name)
    for existing in session.scalars(select(Agency.name)):
        if agency_name_key(existing) == key:
            raise ValidationError("an agency named %(name)s exists already", field="name",
                                  name=existing)


def create_user(session: Session, *, email: str, display_name: str, password: str, role: str,
                agency_id: int | None = None, table_ids: list[int] | None = None,
                language: str = "en", password_hash: str | None = None,
                confirmed: bool = True) -> User:
    """Set up an account. `confirmed` is for installing a community (demo, tests): an
    administrator's new users go through workflow.directory_admin.add_user, unconfirmed."""
    email = email.strip().lower()
    check_length(email, 254, "email", "an email address")
    check_length(display_name.strip(), 120, "display_name", "a name")
    if not _EMAIL.match(email):
        raise ValidationError("that email does not look like an address", field="email")
    check_role(role, agency_id)
    if agency_id is not None and session.get(Agency, agency_id) is None:
        raise ValidationError("unknown agency %(agency_id)s", field="agency_id",
                              agency_id=agency_id)
    check_language(language)
    table_ids = existing_table_ids(session, table_ids)
    if session.scalar(select(User.id).where(User.email == email)):
        raise ValidationError("a user with email %(email)s exists", field="email", email=email)
    if password_hash is None:
        check_new_password(password, email)
    user = User(email=email, display_name=display_name.strip() or email, role=role,
                agency_id=agency_id, language=language,
                password_hash=password_hash or hash_password(password),
                identity_confirmed_at=utcnow() if confirmed else None)
    for table_id in table_ids or []:
        user.scopes.append(UserTableScope(table_id=table_id))
    session.add(user)
    session.flush()
    return user


def check_role(role: str, agency_id: int | None) -> None:
    if role not in ROLES:
        raise ValidationError("role must be one of %(values)s", field="role",
                              values=', '.join(ROLES))
    if role != "admin" and agency_id is None:
        raise ValidationError("every user but an administrator belongs to an agency",
                              field="agency_id")
    if role == "admin" and agency_id is not None:
        # Administrators manage the installation, never an agency's situations (DOMAIN.md).
        raise ValidationError("an administrator belongs to no agency: choose none",
                              field="agency_id")


def end_sessions(session: Session, user: User) -> None:
    """End every signed-in copy of the user's session (sign-out everywhere)."""
    user.session_generation = (user.session_generation or 0) + 1
