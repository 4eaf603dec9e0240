"""The legal basis of every disclosure grant.

Grants made before bases were recorded are marked 'unrecorded', so reports show them as such.

Revision ID: 0009
Revises: 0005_rollups
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0005_rollups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("disclosure_grants") as batch:
        batch.add_column(sa.Column("legal_basis", sa.String(length=60), nullable=False,
                                   server_default="unrecorded"))
    with op.batch_alter_table("disclosure_grants") as batch:
        batch.alter_column("legal_basis", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("disclosure_grants") as batch:
        batch.drop_column("legal_basis")
