"""One-time form tokens: a second POST of the same new-situation form (a double click on
"Save and submit", an API client's retry with the same Idempotency-Key) finds the situation
the first one made instead of making another.

The new-situation form carries a random token made when it is drawn; the draft stores it as
the key of `situation_form_tokens` (a table of its own, written once, so that a situation's
many updates touch no extra index). Two requests with one token, even at the same moment in
two processes, cannot both insert: the loser's transaction fails on the key (on
PostgreSQL it waits for the winner's commit first) and is rolled back whole; the adapter then
reads the winner in a fresh transaction (`drafted_with`) and answers with it. A token that
another agency's situation holds is refused without naming that situation.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.errors import ConcurrentEdit
from workflow.models import Situation, SituationFormToken, User

#: What a token may be: the form's own (token_urlsafe) or a client's Idempotency-Key.
PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
#: The table whose key settles two requests with one token (migration 0017).
TABLE = "situation_form_tokens"


class TokenUsed(ConcurrentEdit):
    """The token was used by another agency's situation (which is never named)."""


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 32 characters


def valid(token: str | None) -> bool:
    return token is not None and PATTERN.fullmatch(token) is not None


def clashed(error: BaseException, token: str | None) -> bool:
    """Did the transaction fail because another one stored `token` first? The error is
    SQLAlchemy's IntegrityError, or the driver's own from the one write (workflow.appends)."""
    if token is None:
        return False
    driver = getattr(error, "orig", None) or error
    if not any(c.__name__ == "IntegrityError" for c in type(driver).__mro__):
        return False
    return TABLE in str(driver)  # "situation_form_tokens_pkey" | "situation_form_tokens.token"


def drafted_with(session: Session, actor: User, token: str) -> int | None:
    """The id of the situation the actor's agency drafted with `token`, if any."""
    row = session.execute(select(Situation.id, Situation.originating_agency_id)
                          .join(SituationFormToken,
                                SituationFormToken.situation_id == Situation.id)
                          .where(SituationFormToken.token == token)).first()
    if row is None:
        return None
    if actor.agency_id is None or row.originating_agency_id != actor.agency_id:
        raise TokenUsed(
            "this situation was changed by someone else at the same time; reload and try again")
    return int(row.id)
