"""linkage tokens: keyed encodings for "seen before?" (issue 19)

Revision ID: 0006_linkage
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import workflow.models.base

revision: str = "0006_linkage"
down_revision: str | None = "0002_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "linkage_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("situation_id", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("person", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("clk", sa.LargeBinary(length=128), nullable=False),
        sa.Column("block_1", sa.String(length=16), nullable=False),
        sa.Column("block_2", sa.String(length=16), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("created_at", workflow.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('filter1','identity')",
                           name=op.f("ck_linkage_tokens_source_known")),
        sa.ForeignKeyConstraint(["situation_id"], ["situations.id"],
                                name=op.f("fk_linkage_tokens_situation_id_situations"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["table_id"], ["tables.id"],
                                name=op.f("fk_linkage_tokens_table_id_tables")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_tokens")),
    )
    with op.batch_alter_table("linkage_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_linkage_tokens_block_1", ["block_1"], unique=False)
        batch_op.create_index("ix_linkage_tokens_block_2", ["block_2"], unique=False)
        batch_op.create_index(batch_op.f("ix_linkage_tokens_situation_id"), ["situation_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("linkage_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_linkage_tokens_situation_id"))
        batch_op.drop_index("ix_linkage_tokens_block_2")
        batch_op.drop_index("ix_linkage_tokens_block_1")
    op.drop_table("linkage_tokens")
