"""Signing in and out, changing one's password, and choosing language and type size."""

from __future__ import annotations

import time

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from webui.extensions import LANGUAGES, signed_in_from
from webui.unit import runtime, unit
from webui.views.common import errors_of, safe_next
from workflow import administration, directory
from workflow.errors import DomainError

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("home.index"))
        return render_template("auth/login.html", errors={})
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = _("Enter your email address.")
    if not password:
        errors["password"] = _("Enter your password.")
    if errors:
        return render_template("auth/login.html", errors=errors), 400
    with runtime().command() as s:
        user = directory.authenticate(s, email, password)
        signed = signed_in_from(user) if user is not None else None
    if signed is None:
        return render_template(
            "auth/login.html",
            errors={"password": _("That email and password do not match an active account.")},
        ), 400
    session.clear()  # a fresh session on sign-in: no fixation
    login_user(signed)
    session["born"] = int(time.time())
    session["language"] = signed.language
    return redirect(safe_next(url_for("home.index")))


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """Sign out everywhere: the server forgets every copy of this session's cookie."""
    if current_user.is_authenticated:
        with unit() as (s, actor):
            directory.end_sessions(s, actor)
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("auth/password.html", errors={})
    current = request.form.get("current_password", "")
    new = request.form.get("new_password", "")
    repeat = request.form.get("repeat_password", "")
    if new != repeat:
        return render_template("auth/password.html", errors={
            "repeat_password": _("The two new passwords are not the same.")}), 400
    try:
        with unit() as (s, actor):
            directory.change_password(s, actor, current, new)
            s.flush()
            signed = signed_in_from(actor)
    except DomainError as exc:
        return render_template("auth/password.html",
                               errors=errors_of(exc, fields={"password": "new_password"})), 400
    login_user(signed)  # the new stamp and generation keep this session; every other one ends
    flash(_("Your password is changed."), "success")
    return redirect(url_for("home.index"))


@bp.route("/language", methods=["POST"])
def language() -> ResponseReturnValue:
    chosen = request.form.get("language", "")
    if chosen not in LANGUAGES:
        flash(_("Choose English or Vietnamese."), "error")
        return redirect(safe_next(url_for("home.index")))
    session["language"] = chosen
    if current_user.is_authenticated:
        with unit() as (s, actor):
            administration.set_language(s, actor, chosen)
            login_user(signed_in_from(actor))
    return redirect(safe_next(url_for("home.index")))


@bp.route("/display", methods=["POST"])
def display() -> ResponseReturnValue:
    """Large type for the projector or anyone who prefers it; kept for the session."""
    session["large"] = request.form.get("large") == "1"
    return redirect(safe_next(url_for("home.index")))


__all__ = ["bp"]
