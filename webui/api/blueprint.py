"""The API's blueprint: `/api/v1`, authenticated by agency tokens, so exempt from CSRF.

Why the exemption is safe: CSRF abuses credentials a browser attaches on its own (the session
cookie). The API ignores cookies and reads only `Authorization: Bearer`, which a browser never
adds to a cross-site request by itself.
"""

from __future__ import annotations

from flask import Blueprint
from flask.blueprints import BlueprintSetupState
from flask.sansio.app import App

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def exempt_from_csrf(app: App) -> None:
    """Tell the app's CSRFProtect (Flask-WTF keeps it in app.extensions["csrf"]) to skip us."""
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)


def _on_register(state: BlueprintSetupState) -> None:
    exempt_from_csrf(state.app)


# Runs whenever an app registers the blueprint, so an app that initialised CSRFProtect first
# (as webui.create_app does) needs no extra call; `webui.api.register` covers the other order.
bp.record_once(_on_register)
