"""Drop four indexes that repeat the leading columns of another index of their table: every
insert (and every update of a situation that cannot stay on its page) kept each one up to date
for nothing a query needed. Each stays findable through the other index named.

- ix_situations_table_id: ix_situations_table_stage (table_id, stage)
- ix_rule_firings_situation: uq_rule_occurrence (situation_id, rule_id, occurrence)
- ix_equity_answers_situation_id: uq_equity_answer (situation_id, dimension)
- ix_meetings_table_time: uq_meeting_slot (table_id, scheduled_at), the same columns

Revision ID: 0014_redundant_indexes
Revises: 0013_situation_indexes
"""

from __future__ import annotations

from alembic import op

revision: str = "0014_redundant_indexes"
down_revision: str | None = "0013_situation_indexes"
branch_labels = None
depends_on = None

#: (index, table, columns) as they were
_DROPPED = (
    ("ix_situations_table_id", "situations", ["table_id"]),
    ("ix_rule_firings_situation", "rule_firings", ["situation_id"]),
    ("ix_equity_answers_situation_id", "equity_answers", ["situation_id"]),
    ("ix_meetings_table_time", "meetings", ["table_id", "scheduled_at"]),
)


def upgrade() -> None:
    for name, table, _columns in _DROPPED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, columns in _DROPPED:
        op.create_index(name, table, columns)
