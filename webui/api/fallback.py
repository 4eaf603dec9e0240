"""Unknown paths and wrong methods under /api/v1 answer in the API's JSON error shape.

Why a catch-all route: Flask does not route a 404 or 405 to a blueprint's error handlers (no
view was matched), and the app-wide handlers belong to the HTML interface. The catch-all is
matched only when no API route takes the request; it then tells "no such endpoint" (404) from
"that endpoint does not take this method" (405, with Allow) by asking the API's own routes.
"""

from __future__ import annotations

from flask import Response, current_app, request
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from webui.api.blueprint import bp
from webui.api.errors import error_response

_CATCH_ALL = "api.no_such_endpoint"
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def _api_routes() -> Map:
    """The API's real routes, alone, so they can be matched without the catch-all."""
    rules = [Rule(r.rule, endpoint=r.endpoint, methods=r.methods)
             for r in current_app.url_map.iter_rules()
             if r.endpoint.startswith("api.") and r.endpoint != _CATCH_ALL]
    return Map(rules)


@bp.before_request
def _options() -> Response | None:
    """OPTIONS names only the methods a path really serves (not the catch-all's)."""
    if request.method != "OPTIONS":
        return None
    adapter = _api_routes().bind("localhost")
    allowed = sorted(set(adapter.allowed_methods(request.path)) | {"OPTIONS"})
    if allowed == ["OPTIONS"]:
        return error_response(404, f"no API endpoint {request.path}; see /api/v1/openapi.json")
    response = Response(status=204)
    response.headers["Allow"] = ", ".join(allowed)
    return response


@bp.route("/", defaults={"rest": ""}, methods=_METHODS)
@bp.route("/<path:rest>", methods=_METHODS)
def no_such_endpoint(rest: str) -> Response:
    try:
        _api_routes().bind("localhost").match(request.path, method=request.method)
    except MethodNotAllowed as exc:
        allowed = sorted(exc.valid_methods or [])
        return error_response(405, f"{request.path} does not take {request.method}; use "
                                   f"{' or '.join(allowed)}", headers={"Allow": ", ".join(allowed)})
    except NotFound:
        pass
    return error_response(404, f"no API endpoint {request.path}; see /api/v1/openapi.json")
