"""An agency's API token may expire, and says when it was last used: an operator issues, lists
and revokes tokens (`hubtable tokens`), and a token nobody uses or that leaked stops in time.

Revision ID: 0018_token_expiry
Revises: 0017_form_token
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.models.base import UTCDateTime

revision: str = "0018_token_expiry"
down_revision: str | None = "0017_form_token"
branch_labels = None
depends_on = None

TABLE = "api_tokens"


# Both nullable and not backfilled: a token issued before this revision (the demo's, an
# agency's running integration) keeps working as it did, with no expiry ("never" in
# `hubtable tokens list`), rather than stopping on a date nobody chose. Plain ALTER TABLE on
# both databases, as 0016.
def upgrade() -> None:
    op.add_column(TABLE, sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column(TABLE, sa.Column("last_used_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column(TABLE, "last_used_at")
    op.drop_column(TABLE, "expires_at")
