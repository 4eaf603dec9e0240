"""Domain errors and HTTP errors as pages: 403 for a refusal, 404 for what one may not know of.

A hidden situation and a missing one answer the same 404 (workflow.access decides which is which).
Errors a form can show next to a field are caught in the views (see webui/views/common.py).
"""

from __future__ import annotations

from flask import Flask, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from webui.views.common import message_of
from workflow.errors import DomainError, NotFound, PermissionDenied


def _page(status: int, title: str, message: str) -> ResponseReturnValue:
    return render_template("error.html", status=status, title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(PermissionDenied)
    def _denied(exc: PermissionDenied) -> ResponseReturnValue:
        return _page(403, _("Not allowed"), message_of(exc))

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound) -> ResponseReturnValue:
        return _page(404, _("Not found"), _("There is nothing here that you may see."))

    @app.errorhandler(DomainError)
    def _refused(exc: DomainError) -> ResponseReturnValue:
        return _page(409, _("This cannot be done now"), message_of(exc))

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> ResponseReturnValue:
        return _page(400, _("The form expired"),
                     _("The form was missing its security token or it expired. "
                       "Go back, reload the page and try again."))

    @app.errorhandler(401)
    def _unauthorized(exc: HTTPException) -> ResponseReturnValue:
        return redirect(url_for("auth.login", next=request.path))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            return exc
        titles = {403: _("Not allowed"), 404: _("Not found"), 405: _("Not allowed"),
                  429: _("Too many attempts")}
        messages = {404: _("There is nothing here that you may see."),
                    429: _("Too many attempts. Wait a minute and try again.")}
        code = exc.code or 500
        return _page(code, titles.get(code, _("Error")),
                     messages.get(code, exc.description or ""))
