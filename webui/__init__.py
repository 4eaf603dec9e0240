"""The Flask adapter: an application factory over the domain core (workflow/).

Views translate HTTP into the core's commands and queries; every permission question is asked
of workflow.access. One request is one transaction (see webui/unit.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask

from webui.settings import WebSettings
from workflow.runtime import Runtime

IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(hours=12)  # however active, a sign-in lasts at most a working day


def create_app(settings: WebSettings, *, runtime: Runtime, testing: bool = False,
               after_commit: Callable[[], None] | None = None,
               health: Callable[[Runtime], dict[str, Any]] | None = None) -> Flask:
    """Build the web application over the settings and the Runtime the root built.

    The composition root (hubtable/) builds both once and injects what the web app must not
    import: `after_commit` runs after a command that wrote outbox events committed (it wakes
    the dispatcher), and `health` reports orchestration for /healthz (without it, /healthz
    reports the database only).
    """
    from webui import extensions, layout, security
    from webui.errors import register_error_handlers
    from webui.values import IdConverter, refuse_unstorable_input
    from webui.views import register_blueprints

    app = Flask(__name__)
    app.url_map.converters["int"] = IdConverter  # every <int:...> is an id within range
    https = settings.base_url.startswith("https://")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        SESSION_COOKIE_NAME="hubtable_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=https,
        PERMANENT_SESSION_LIFETIME=IDLE_TIMEOUT,
        SESSION_REFRESH_EACH_REQUEST=True,
        IDLE_TIMEOUT=IDLE_TIMEOUT,
        SESSION_LIFETIME=SESSION_LIFETIME,
        WTF_CSRF_TIME_LIMIT=None,  # the session timeout bounds a token's life already
        # Pages send no Referer (Referrer-Policy: no-referrer), so the token and SameSite
        # cookies protect forms; Flask-WTF's HTTPS Referer check would refuse every form.
        WTF_CSRF_SSL_STRICT=False,
        LOGIN_RATE_LIMIT="10 per minute;100 per hour",  # failed sign-ins of one account
        LOGIN_ADDRESS_RATE_LIMIT="60 per minute;600 per hour",  # failed, from one address
        BABEL_DEFAULT_LOCALE="en",
        BABEL_TRANSLATION_DIRECTORIES="translations",
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        HUBTABLE_SETTINGS=settings,
    )
    app.extensions["hubtable_runtime"] = runtime
    app.extensions["hubtable_after_commit"] = after_commit
    app.extensions["hubtable_health"] = health
    extensions.init_app(app)
    security.init_app(app)
    layout.init_app(app)
    app.before_request(refuse_unstorable_input)
    register_blueprints(app)
    extensions.limit_login(app)
    register_error_handlers(app)
    return app


__all__ = ["create_app"]
