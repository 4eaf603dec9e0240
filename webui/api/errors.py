"""Every refusal of the API as JSON: `{"error": {"message": ..., "field": ...}}`.

The core's exceptions already carry a message a person can act on and the field at fault; this
module only chooses the HTTP status. It names fields as the API's body names them (the core's
`table_id` is the body's `table`), so a client can point at what to fix.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from werkzeug.exceptions import HTTPException

from webui.api.blueprint import bp
from workflow.errors import (
    ConcurrentEdit,
    DomainError,
    IllegalTransition,
    NotFound,
    PermissionDenied,
    RuleRefusal,
    ValidationError,
)

#: The core's field names that the API spells differently.
_FIELD_NAMES = {"table_id": "table", "check_name": "earlier_check.name",
               "check_birth_date": "earlier_check.birth_date"}


class ApiError(Exception):
    """A refusal decided by the adapter itself (no token, a malformed body, no such route)."""

    def __init__(self, status: int, message: str, *, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.headers = headers or {}


def error_response(status: int, message: str, field: str | None = None, *,
                   headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"message": message, "field": _FIELD_NAMES.get(field or "", field)}
    body.update(extra)
    response = jsonify(error=body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def status_of(error: DomainError) -> int:
    """Which HTTP answer each kind of domain refusal is."""
    if isinstance(error, ValidationError):
        return 400
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, RuleRefusal):
        return 422
    # ConcurrentEdit, IllegalTransition and the plain DomainError (e.g. "only a draft can be
    # edited") all say the situation is not in a state that allows the request.
    return 409


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    return error_response(error.status, error.message, error.field, headers=error.headers)


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError) -> Response:
    if isinstance(error, RuleRefusal):
        return error_response(422, error.message, error.field, messages=list(error.messages))
    return error_response(status_of(error), error.message, error.field)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    """Werkzeug's own refusals (e.g. a body over the size limit) in the same JSON shape."""
    return error_response(error.code or 500, error.description or error.name)


__all__ = ["ApiError", "ConcurrentEdit", "IllegalTransition", "error_response", "status_of"]
