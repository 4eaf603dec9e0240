"""A withdrawn situation keeps a de-identified note, as a rejected one does: the reason
"other (see de-identified note)" had nowhere to say what it was.

Revision ID: 0016_withdrawal_note
Revises: 0015_bump_once
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0016_withdrawal_note"
down_revision: str | None = "0015_bump_once"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite drops a column since 3.35): a batch copy of
# `situations` would have to carry its triggers and partial indexes across by hand.
def upgrade() -> None:
    op.add_column("situations", sa.Column("withdrawal_note", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("situations", "withdrawal_note")
