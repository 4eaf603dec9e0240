"""Security headers on every response, and the idle timeout of a signed-in session."""

from __future__ import annotations

import time

from flask import Flask, Response, current_app, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, logout_user

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def _headers(response: Response) -> Response:
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h["X-Frame-Options"] = "DENY"
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "no-referrer"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.endpoint != "static":
        h["Cache-Control"] = "no-store"  # pages may hold situation facts: keep them off disk
    # Waitress speaks plain http to the TLS proxy in front of it, so is_secure is False on
    # every request of an https site: its base URL (SESSION_COOKIE_SECURE) says it is one.
    if request.is_secure or current_app.config["SESSION_COOKIE_SECURE"]:
        h["Strict-Transport-Security"] = "max-age=31536000"
    return response


def _idle_timeout() -> ResponseReturnValue | None:
    """End a session left idle longer than IDLE_TIMEOUT, or older than SESSION_LIFETIME.

    Both times are in the signed cookie; the server-side check (the user's session generation,
    see webui/extensions.py) is what makes a copied cookie useless after sign-out.
    """
    if request.endpoint in ("static", "health.healthz") or not current_user.is_authenticated:
        return None
    now = int(time.time())
    seen = session.get("seen")
    born = session.get("born")
    limit = int(current_app.config["IDLE_TIMEOUT"].total_seconds())
    lifetime = int(current_app.config["SESSION_LIFETIME"].total_seconds())
    idle = isinstance(seen, int) and now - seen > limit
    if idle or not isinstance(born, int) or now - born > lifetime:
        logout_user()
        session.clear()
        flash(_("You were signed out after a period of inactivity.") if idle
              else _("Your session ended; sign in again."), "info")
        return redirect(url_for("auth.login"))
    session.permanent = True
    session["seen"] = now
    return None


def init_app(app: Flask) -> None:
    app.after_request(_headers)
    app.before_request(_idle_timeout)
