"""The data version of the meeting page's cache: a commit counter spread over rows, bumped once
per writing transaction by a trigger on every table (PostgreSQL; workflow/models/versions.py).

Revision ID: 0010_meeting
Revises: 0008_rounds
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.models.versions import TABLE, install_triggers, remove_triggers

revision: str = "0010_meeting"
down_revision: str | None = "0008_rounds"
branch_labels = None
depends_on = None


def _tables() -> list[str]:
    names = sa.inspect(op.get_bind()).get_table_names()
    return sorted(n for n in names if n not in ("alembic_version", TABLE))


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("shard", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("shard", name=op.f("pk_data_versions")),
    )
    install_triggers(op.get_bind(), _tables())


def downgrade() -> None:
    remove_triggers(op.get_bind(), _tables())
    op.drop_table(TABLE)
