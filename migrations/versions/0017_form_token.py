"""A new situation remembers the one-time token of the form (or the API's Idempotency-Key)
that drafted it: a double click on "Save and submit", or a client's retry, made two.

Revision ID: 0017_form_token
Revises: 0016_withdrawal_note
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.models.versions import install_triggers

revision: str = "0017_form_token"
down_revision: str | None = "0016_withdrawal_note"
branch_labels = None
depends_on = None

TABLE = "situation_form_tokens"


# A table of its own, keyed by the token and written once at the draft: a column of
# `situations` under a unique index would be one more index for each of a situation's many
# (non-HOT) updates. Its data-version trigger as every table's (workflow.models.versions).
def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("token", sa.String(length=64), primary_key=True),
        sa.Column("situation_id", sa.Integer(),
                  sa.ForeignKey("situations.id", ondelete="CASCADE"), nullable=False),
    )
    install_triggers(op.get_bind(), [TABLE])


def downgrade() -> None:
    op.drop_table(TABLE)  # its trigger goes with it
