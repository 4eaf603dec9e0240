"""Who is calling: the agency named by the bearer token, acting through its API service user.

One request is one transaction: the token is looked up, the service user loaded (or created on
the agency's first call) and the command run in the same `runtime.command()` block, so a refusal
anywhere rolls back everything the request did.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import request
from sqlalchemy.orm import Session

from webui.api.errors import ApiError
from webui.unit import run_after_commit, runtime, watch_events, wrote_events
from workflow import api_tokens
from workflow.api_actor import api_actor
from workflow.models import User

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="hubtable"'}
REFUSED = "this API token is unknown or was revoked (or expired): ask for a new one"


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, message, field="Authorization", headers=_CHALLENGE)


def bearer_token() -> str:
    """The token of `Authorization: Bearer TOKEN`, or a 401 that says what is wrong."""
    header = request.headers.get("Authorization", "")
    if not header:
        raise _unauthorized("send your agency's API token as 'Authorization: Bearer TOKEN'")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("the Authorization header must be 'Bearer TOKEN'")
    return token.strip()


@contextmanager
def as_agency() -> Iterator[tuple[Session, User]]:
    """One transaction acting as the token's agency: `with as_agency() as (session, actor)`."""
    token = bearer_token()
    with runtime().command() as session:
        watch_events(session)
        agency = api_tokens.agency_for_token(session, token)
        if agency is None:  # one answer for unknown, revoked and expired: no enumeration
            raise _unauthorized(REFUSED)
        yield session, api_actor(session, agency)
        wrote = wrote_events(session)
    if wrote:
        run_after_commit()  # wakes the dispatcher, as after a command in the web UI
