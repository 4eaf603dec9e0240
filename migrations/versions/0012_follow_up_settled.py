"""The follow-up sweep reads only closures it has not yet settled (a partial index), so its
cost follows what closed since the last sweep, not the whole history; closures that already
have a follow-up are settled.

Revision ID: 0012_follow_up_settled
Revises: 0011_report_measures
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.models.situation import UNSETTLED

revision: str = "0012_follow_up_settled"
down_revision: str | None = "0011_report_measures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("situations") as batch:
        batch.add_column(sa.Column("follow_up_settled", sa.Boolean(),
                                   server_default=sa.false(), nullable=False))
    op.execute("UPDATE situations SET follow_up_settled = TRUE WHERE id IN "
               "(SELECT situation_id FROM follow_ups)")
    op.create_index("ix_situations_follow_up_unsettled", "situations",
                    ["table_id", "closed_at"], postgresql_where=sa.text(UNSETTLED),
                    sqlite_where=sa.text(UNSETTLED))


def downgrade() -> None:
    op.drop_index("ix_situations_follow_up_unsettled", table_name="situations")
    with op.batch_alter_table("situations") as batch:
        batch.drop_column("follow_up_settled")
