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

from webui.api.errors import error_response
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
        code = exc.code or 500
        if request.path.startswith("/api/"):
            # A refusal before any API view ran (an id the route's converter does not take):
            # the API's JSON shape all the same.
            if code == 404:
                return error_response(404, f"nothing at {request.path} that you may see; "
                                           "see /api/v1/openapi.json")
            return error_response(code, exc.description or exc.name)
        titles = {400: _("The request could not be read"), 403: _("Not allowed"),
                  404: _("Not found"), 405: _("Not available this way"),
                  413: _("Too large"), 429: _("Too many attempts")}
        messages = {400: _("The page could not read what was sent. Go back, reload the page "
                           "and try again."),
                    404: _("There is nothing here that you may see."),
                    405: _("This address does not take that kind of request. Use the "
                           "page's own links and buttons."),
                    413: _("What was sent is too large."),
                    429: _("Too many attempts. Wait a minute and try again.")}
        return _page(code, titles.get(code, _("Error")),
                     messages.get(code, _("Something went wrong. Try again; if it happens "
                                          "again, tell your coordinator.")))
