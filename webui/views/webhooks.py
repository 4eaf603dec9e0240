"""Webhooks: an administrator sets, tests and removes any agency's; an agency its own.

Every rule (who may, which URLs, the secret sealed with the master key) is the core's
(workflow.notification_preferences, workflow.outbound); this module reads forms and shows
the result. The operator's allow-list of internal networks comes from the settings.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from webui.unit import reading, unit
from webui.values import bounded_int
from webui.views.common import FORM, errors_of
from workflow import access, outbound
from workflow import notification_preferences as prefs
from workflow.errors import DomainError
from workflow.identity import derive_master_key
from workflow.models import Agency, NotificationPreference

bp = Blueprint("webhooks", __name__)


def _allow() -> tuple[outbound.Network, ...]:
    return outbound.parse_allow(current_app.config["HUBTABLE_SETTINGS"].webhook_allow)


def _master_key() -> bytes:
    return derive_master_key(current_app.config["HUBTABLE_SETTINGS"].identity_key)


def _rows(s: Session, agencies: Iterable[Agency]
          ) -> list[tuple[Agency, NotificationPreference | None]]:
    return [(a, prefs.webhook_of(s, a.id)) for a in agencies]


def _act(agency_id: int) -> str:
    """Apply the form's action to one agency's webhook; the message to flash."""
    f = request.form
    action = f.get("action", "save")
    with unit() as (s, actor):
        if action == "remove":
            prefs.remove_webhook(s, actor, agency_id)
            return _("Webhook removed.")
        if action == "test":
            status = prefs.ping_webhook(s, actor, agency_id, master_key=_master_key(),
                                        allow=_allow())
            return _("Test sent: the webhook answered HTTP %(status)s.", status=status)
        secret = f.get("webhook_secret", "")
        prefs.set_preference(s, actor, agency_id=agency_id, channel="webhook", enabled=True,
                             webhook_url=f.get("webhook_url", ""),
                             webhook_secret=secret or None, master_key=_master_key(),
                             allow=_allow())
        return _("Webhook saved.")


def _errors_at(exc: DomainError, agency_id: int) -> dict[str, str]:
    """The error beside the field of the agency's own form: the page has one form per agency,
    and its fields are named "webhook_url-ID" (an error about no field goes by the URL)."""
    url, secret = f"webhook_url-{agency_id}", f"webhook_secret-{agency_id}"
    return errors_of(exc, fields={"webhook_url": url, "webhook_secret": secret}, at=url,
                     known=(url, secret))


@bp.route("/admin/webhooks", methods=["GET", "POST"])
@login_required
def admin() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    status = 200
    with reading() as (s, actor):
        access.require_permission(actor, "notifications.manage")
    if request.method == "POST":
        agency_id = bounded_int(request.form.get("agency_id", ""), low=1)
        if agency_id is None:  # the page posts it hidden, one form per agency
            errors[FORM] = _("Choose an agency.")
        else:
            try:
                flash(_act(agency_id), "success")
                return redirect(url_for("webhooks.admin"))
            except DomainError as exc:
                errors = _errors_at(exc, agency_id)
        status = 400
    with reading() as (s, actor):
        access.require_permission(actor, "notifications.manage")
        agencies = s.scalars(select(Agency).order_by(Agency.name)).all()
        return render_template("admin/webhooks.html", rows=_rows(s, agencies), errors=errors,
                               own=False), status


@bp.route("/agency/webhook", methods=["GET", "POST"])
@login_required
def agency() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    status = 200
    with reading() as (s, actor):
        if actor.agency_id is None or actor.role not in prefs.RECIPIENT_ROLES:
            abort(403)
        agency_id = actor.agency_id
    if request.method == "POST":
        try:
            flash(_act(agency_id), "success")
            return redirect(url_for("webhooks.agency"))
        except DomainError as exc:
            errors, status = _errors_at(exc, agency_id), 400
    with reading() as (s, actor):
        return render_template("admin/webhooks.html", rows=_rows(s, [s.get_one(Agency, agency_id)]),
                               errors=errors, own=True), status
