"""Blueprints, one per area of work; registered in one place."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from webui import filters
    from webui.api import bp as api_bp
    from webui.reports_views import bp as reports_bp
    from webui.views import (
        admin,
        admin_agencies,
        admin_users,
        agency,
        auth,
        confirmations,
        dashboard,
        deliveries,
        health,
        home,
        mail,
        meeting,
        meeting_item,  # noqa: F401 (its routes, one situation at a meeting, join meeting.bp)
        report_archive,
        rounds,
        situations,
        webhooks,
    )

    for module in (auth, home, health, agency, situations, meeting, dashboard, admin,
                   admin_agencies, admin_users, confirmations, mail, deliveries, webhooks,
                   rounds):
        app.register_blueprint(module.bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(report_archive.bp)  # the stored monthly reports, beside the live ones
    _maybe_inbox(app)
    filters.init_app(app)


def _maybe_inbox(app: Flask) -> None:
    """The inbox page exists only when the notifications area offers its inbox API."""
    try:
        import workflow.inbox  # noqa: F401
    except ImportError:
        return
    from webui.views import inbox

    app.register_blueprint(inbox.bp)
