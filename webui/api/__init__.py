"""The JSON API for agencies' own systems (`/api/v1`): create and submit a de-identified
situation, read its status, list the agency's situations and open tasks, read the code lists.

Every call acts as the calling agency (its token names it) through the core's commands, so the
access rules, the rule-pack guards and the audit log are the core's own. No response ever
carries identity: the API reads only the de-identified record.
"""

from __future__ import annotations

from flask import Flask

from webui.api import (  # noqa: F401  (routes)
    fallback,
    openapi,
    reference,
    rounds,
    situations,
    tasks,
)
from webui.api.blueprint import bp, exempt_from_csrf


def register(app: Flask) -> None:
    """Register the API on `app` and exempt it from CSRF whichever was set up first."""
    app.register_blueprint(bp)
    exempt_from_csrf(app)


__all__ = ["bp", "register"]
