"""daily report rollups, their state, and the index that finds changed situations

Revision ID: 0005_rollups
Revises: 0001
Create Date: 2026-11-30 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.models.base

revision: str = "0005_rollups"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_rollups",
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("value", sa.String(length=80), nullable=False),
        sa.Column("sub", sa.String(length=40), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("helped", sa.BigInteger(), nullable=False),
        sa.Column("contacted", sa.BigInteger(), nullable=False),
        sa.Column("on_time", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["table_id"], ["tables.id"], name=op.f("fk_report_rollups_table_id_tables")
        ),
        sa.PrimaryKeyConstraint("table_id", "day", "kind", "value", "sub",
                                name=op.f("pk_report_rollups")),
    )
    op.create_table(
        "report_duration_rollups",
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("measure", sa.String(length=20), nullable=False),
        sa.Column("duration", sa.Double(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["table_id"], ["tables.id"], name=op.f("fk_report_duration_rollups_table_id_tables")
        ),
        sa.PrimaryKeyConstraint("table_id", "day", "measure", "duration",
                                name=op.f("pk_report_duration_rollups")),
    )
    op.create_table(
        "report_rollups_monthly",
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("value", sa.String(length=80), nullable=False),
        sa.Column("sub", sa.String(length=40), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("helped", sa.BigInteger(), nullable=False),
        sa.Column("contacted", sa.BigInteger(), nullable=False),
        sa.Column("on_time", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["table_id"], ["tables.id"], name=op.f("fk_report_rollups_monthly_table_id_tables")
        ),
        sa.PrimaryKeyConstraint("table_id", "day", "kind", "value", "sub",
                                name=op.f("pk_report_rollups_monthly")),
    )
    op.create_table(
        "report_duration_rollups_monthly",
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("measure", sa.String(length=20), nullable=False),
        sa.Column("duration", sa.Double(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["table_id"], ["tables.id"], name=op.f("fk_report_duration_rollups_monthly_table_id_tables")
        ),
        sa.PrimaryKeyConstraint("table_id", "day", "measure", "duration",
                                name=op.f("pk_report_duration_rollups_monthly")),
    )
    op.create_table(
        "report_rollup_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("watermark", workflow.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("max_situation_id", sa.BigInteger(), nullable=False),
        sa.Column("refreshed_at", workflow.models.base.UTCDateTime(timezone=True),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_rollup_state")),
    )
    with op.batch_alter_table("situations", schema=None) as batch_op:
        batch_op.create_index("ix_situations_updated_at", ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("situations", schema=None) as batch_op:
        batch_op.drop_index("ix_situations_updated_at")
    op.drop_table("report_rollup_state")
    op.drop_table("report_duration_rollups_monthly")
    op.drop_table("report_rollups_monthly")
    op.drop_table("report_duration_rollups")
    op.drop_table("report_rollups")
