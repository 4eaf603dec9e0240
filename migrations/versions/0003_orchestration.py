"""Flow runs remember their last failure's error class and time.

Revision ID: 0003_orchestration
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workflow.models.base

revision: str = "0003_orchestration"
down_revision: str | None = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flow_runs") as batch:
        batch.add_column(sa.Column("last_error", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("last_failed_at", workflow.models.base.UTCDateTime(timezone=True),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("flow_runs") as batch:
        batch.drop_column("last_failed_at")
        batch.drop_column("last_error")
