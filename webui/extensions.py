"""Flask extensions, initialised in one place and once per application.

Each application gets its own instances (not module globals), so that two apps in one process
(tests, the benchmark) never share a rate-limit counter or a login manager.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from flask import Flask, Response, current_app, g, request, session
from flask.typing import RouteCallable
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webui.signed_in_cache import SignedInCache
from workflow import directory
from workflow.data_version import data_version
from workflow.models import User

LANGUAGES = ("en", "vi")
_SIGNED_IN = "hubtable_signed_in_cache"


@dataclass(frozen=True)
class SignedIn:
    """Who is signed in, as Flask-Login sees it: a few plain values, never an ORM object.

    The session cookie holds the user id, the time of the last password change and the user's
    session generation; every request checks them against the database, so changing a password,
    signing out or deactivating the user ends every copy of the cookie at once.
    """

    id: int
    display_name: str
    role: str
    agency_id: int | None
    language: str
    stamp: str
    generation: int = 0

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.stamp}:{self.generation}"


def password_stamp(changed_at: datetime) -> str:
    return str(int(changed_at.timestamp()))


def signed_in_from(user: User) -> SignedIn:
    return SignedIn(id=user.id, display_name=user.display_name, role=user.role,
                    agency_id=user.agency_id, language=user.language,
                    stamp=password_stamp(user.password_changed_at),
                    generation=user.session_generation)


def _load_user(user_id: str) -> SignedIn | None:
    """Who the cookie names, if still active with the same password stamp and session
    generation: asked of the database whenever anything committed since (webui.signed_in_cache)."""
    from webui.values import bounded_int

    raw_id, _, rest = user_id.partition(":")
    stamp, _, generation = rest.partition(":")
    number = bounded_int(raw_id)
    if number is None:
        return None
    cache = _signed_in_cache()
    g.hubtable_signed_in_version = token = cache.version.current()
    signed = cache.load(token, f"{number}:{stamp}:{generation}", lambda: _read_user(number))
    return signed if signed is not None and signed.get_id() == f"{number}:{stamp}:{generation}" \
        else None


def signed_in_version() -> str | None:
    """The data version read when this request's reader was found (before anything else was
    read), or read now if none was."""
    if "hubtable_signed_in_version" in g:
        return cast(str | None, g.hubtable_signed_in_version)
    return _signed_in_cache().version.current()


def _read_user(number: int) -> SignedIn | None:
    from webui.unit import runtime

    with runtime().sessions() as s:
        # One query, the agency with the user: a user of a deactivated agency is signed out too.
        user = s.scalar(select(User).options(joinedload(User.agency)).where(User.id == number))
        if user is None or not directory.may_sign_in(user):
            return None
        return signed_in_from(user)


def _signed_in_cache() -> SignedInCache[SignedIn]:
    """The app's cache (one per app, so one per web process), made on first use."""
    from webui.unit import runtime

    found: SignedInCache[SignedIn] | None = current_app.extensions.get(_SIGNED_IN)
    if found is None:
        made = SignedInCache[SignedIn](data_version(runtime().engine))
        found = current_app.extensions.setdefault(_SIGNED_IN, made)
    return found


def _select_locale() -> str:
    if current_user.is_authenticated and current_user.language in LANGUAGES:
        return str(current_user.language)
    chosen = session.get("language")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or "en"


def init_app(app: Flask) -> None:
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = None
    login.session_protection = "basic"
    login.user_loader(_load_user)
    CSRFProtect(app)
    Babel(app, locale_selector=_select_locale)
    app.extensions["hubtable_limiter"] = Limiter(
        get_remote_address, app=app, storage_uri="memory://", headers_enabled=True,
        key_prefix=f"hubtable-{id(app)}",
    )


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _address_limit() -> str:
    return str(current_app.config["LOGIN_ADDRESS_RATE_LIMIT"])


def _account_key() -> str:
    """The account a sign-in names (bounded, lower-cased): failures are counted per account."""
    email = request.form.get("email", "")[:254].strip().lower()
    return "account:" + email.encode("utf-8", "replace").hex()


def _user_key() -> str:
    """The signed-in user a password change is for: its current password is guessed per user."""
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def _failed(response: Response) -> bool:
    """Only a refused sign-in counts: a successful one redirects (302) and costs nothing."""
    return response.status_code != 302


def limit_login(app: Flask) -> None:
    """Throttle failed sign-ins (POST /login) per account and, with a higher bar, per address.

    Successful sign-ins are never counted, so the staff of a table signing in one after another
    from one office (one NAT address) are never refused; guessing one account's password is
    (OWASP's authentication cheat sheet: limit failures per account and per source).
    """
    limiter: Limiter = app.extensions["hubtable_limiter"]
    view = app.view_functions["auth.login"]
    per_account = limiter.limit(_login_limit, key_func=_account_key, methods=["POST"],
                                deduct_when=_failed, scope="login-account")
    per_address = limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed,
                                scope="login-address")
    # Flask-Limiter types its decorator for async views too; the view stays a sync route.
    app.view_functions["auth.login"] = cast(RouteCallable, per_address(per_account(view)))
    # The password form checks the current password too: without the same bar, a copied cookie
    # could guess it there unthrottled, and keep the account after the owner signs out.
    per_user = limiter.limit(_login_limit, key_func=_user_key, methods=["POST"],
                             deduct_when=_failed, scope="password-account")
    app.view_functions["auth.password"] = cast(
        RouteCallable, per_user(app.view_functions["auth.password"]))
