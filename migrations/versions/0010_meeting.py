"""The data version of the meeting page's cache: a commit counter spread over rows, bumped once
per writing transaction by a trigger on every table (PostgreSQL; workflow/models/versions.py).

Revision ID: 0010_meeting
Revises: 0008_rounds
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.models.versions import TABLE, install_triggers, migrated_tables, remove_triggers

revision: str = "0010_meeting"
down_revision: str | None = "0008_rounds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("shard", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shard", name=op.f("pk_data_versions")),
    )
    install_triggers(op.get_bind(), migrated_tables(op.get_bind()))


def downgrade() -> None:
    remove_triggers(op.get_bind(), migrated_tables(op.get_bind()))
    op.drop_table(TABLE)
