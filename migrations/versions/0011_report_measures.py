"""The report rollups' version mark: rollups built before the time-to-decision and
time-to-first-contact histograms, the equity answers and the follow-up answers were rolled up
are version 1, which the report no longer reads and the next refresh rebuilds.

Revision ID: 0011_report_measures
Revises: 0010_meeting
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011_report_measures"
down_revision: str | None = "0010_meeting"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report_rollup_state") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), server_default=sa.text("1"),
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("report_rollup_state") as batch:
        batch.drop_column("version")
