"""Indexes on the situation of tasks, report-backs, agenda entries and round items: every
command's one read asks a situation's tasks, its page its report-backs, withdrawal and the
agency pages its agenda entries, and a new round which situations are in open rounds. Without
them each of these read the whole table, a cost that grew with the table's history.

Revision ID: 0013_situation_indexes
Revises: 0012_follow_up_settled
"""

from __future__ import annotations

from alembic import op

revision: str = "0013_situation_indexes"
down_revision: str | None = "0012_follow_up_settled"
branch_labels = None
depends_on = None

_TABLES = ("tasks", "report_backs", "agenda_items", "round_items")


def upgrade() -> None:
    for table in _TABLES:
        op.create_index(f"ix_{table}_situation_id", table, ["situation_id"])


def downgrade() -> None:
    for table in _TABLES:
        op.drop_index(f"ix_{table}_situation_id", table_name=table)
