"""Decision rounds, follow-up after closure, and self-identified equity answers.

Revision ID: 0008_rounds
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workflow.models.base

revision: str = "0008_rounds"
down_revision: str | None = "0006_linkage"
branch_labels = None
depends_on = None

_UTC = workflow.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "decision_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", _UTC, nullable=False),
        sa.Column("closes_at", _UTC, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_at", _UTC, nullable=True),
        sa.Column("decided_by", sa.String(length=10), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('open','deciding','decided')",
                           name=op.f("ck_decision_rounds_status_known")),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"],
                                name=op.f("fk_decision_rounds_meeting_id_meetings")),
        sa.ForeignKeyConstraint(["opened_by_id"], ["users.id"],
                                name=op.f("fk_decision_rounds_opened_by_id_users")),
        sa.ForeignKeyConstraint(["table_id"], ["tables.id"],
                                name=op.f("fk_decision_rounds_table_id_tables")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_rounds")),
    )
    op.create_index("ix_decision_rounds_due", "decision_rounds", ["status", "closes_at"])
    op.create_table(
        "round_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("situation_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["round_id"], ["decision_rounds.id"], ondelete="CASCADE",
                                name=op.f("fk_round_items_round_id_decision_rounds")),
        sa.ForeignKeyConstraint(["situation_id"], ["situations.id"], ondelete="CASCADE",
                                name=op.f("fk_round_items_situation_id_situations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_items")),
        sa.UniqueConstraint("round_id", "situation_id", name="uq_round_item"),
    )
    op.create_table(
        "round_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("situation_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("aer", sa.Boolean(), nullable=False),
        sa.Column("contributes", sa.JSON(), nullable=False),
        sa.Column("needed_at_filter_3", sa.Boolean(), nullable=False),
        sa.Column("answered_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"],
                                name=op.f("fk_round_answers_agency_id_agencies")),
        sa.ForeignKeyConstraint(["round_id"], ["decision_rounds.id"], ondelete="CASCADE",
                                name=op.f("fk_round_answers_round_id_decision_rounds")),
        sa.ForeignKeyConstraint(["situation_id"], ["situations.id"], ondelete="CASCADE",
                                name=op.f("fk_round_answers_situation_id_situations")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_round_answers_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_answers")),
        sa.UniqueConstraint("round_id", "situation_id", "agency_id", name="uq_round_answer"),
    )
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("situation_id", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("lead_agency_id", sa.Integer(), nullable=True),
        sa.Column("due_at", _UTC, nullable=False),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=20), nullable=True),
        sa.Column("answered_at", _UTC, nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "answer IS NULL OR answer IN ('yes','no','re_presented','not_known')",
            name=op.f("ck_follow_ups_answer_known")),
        sa.ForeignKeyConstraint(["answered_by_id"], ["users.id"],
                                name=op.f("fk_follow_ups_answered_by_id_users")),
        sa.ForeignKeyConstraint(["lead_agency_id"], ["agencies.id"],
                                name=op.f("fk_follow_ups_lead_agency_id_agencies")),
        sa.ForeignKeyConstraint(["situation_id"], ["situations.id"], ondelete="CASCADE",
                                name=op.f("fk_follow_ups_situation_id_situations")),
        sa.ForeignKeyConstraint(["table_id"], ["tables.id"],
                                name=op.f("fk_follow_ups_table_id_tables")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint("situation_id", name=op.f("uq_follow_ups_situation_id")),
    )
    op.create_index("ix_follow_ups_pending", "follow_ups", ["answer", "due_at"])
    op.create_table(
        "equity_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("situation_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("recorded_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["situation_id"], ["situations.id"], ondelete="CASCADE",
                                name=op.f("fk_equity_answers_situation_id_situations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equity_answers")),
        sa.UniqueConstraint("situation_id", "dimension", name="uq_equity_answer"),
    )
    op.create_index(op.f("ix_equity_answers_situation_id"), "equity_answers",
                    ["situation_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_equity_answers_situation_id"), table_name="equity_answers")
    op.drop_table("equity_answers")
    op.drop_index("ix_follow_ups_pending", table_name="follow_ups")
    op.drop_table("follow_ups")
    op.drop_table("round_answers")
    op.drop_table("round_items")
    op.drop_index("ix_decision_rounds_due", table_name="decision_rounds")
    op.drop_table("decision_rounds")
