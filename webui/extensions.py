"""Flask extensions, initialised in one place and once per application.

Each application gets its own instances (not module globals), so that two apps in one process
(tests, the benchmark) never share a rate-limit counter or a login manager.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select

from workflow.models import User

LANGUAGES = ("en", "vi")


@dataclass(frozen=True)
class SignedIn:
    """Who is signed in, as Flask-Login sees it: a few plain values, never an ORM object.

    The session cookie holds the user id and the time of the last password change, so changing
    a password (or deactivating the user) ends every other session at once.
    """

    id: int
    display_name: str
    role: str
    agency_id: int | None
    language: str
    stamp: str

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.stamp}"


def password_stamp(changed_at: datetime) -> str:
    return str(int(changed_at.timestamp()))


def signed_in_from(user: User) -> SignedIn:
    return SignedIn(id=user.id, display_name=user.display_name, role=user.role,
                    agency_id=user.agency_id, language=user.language,
                    stamp=password_stamp(user.password_changed_at))


def _load_user(user_id: str) -> SignedIn | None:
    from webui.unit import runtime

    raw_id, _, stamp = user_id.partition(":")
    if not raw_id.isdigit():
        return None
    with runtime().sessions() as s:
        user = s.scalar(select(User).where(User.id == int(raw_id)))
        if user is None or not user.active:
            return None
        signed = signed_in_from(user)
    return signed if signed.stamp == stamp else None


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


def limit_login(app: Flask) -> None:
    """Rate-limit sign-in attempts (POST /login) per client address."""
    limiter: Limiter = app.extensions["hubtable_limiter"]
    view = app.view_functions["auth.login"]
    app.view_functions["auth.login"] = limiter.limit(_login_limit, methods=["POST"])(view)
