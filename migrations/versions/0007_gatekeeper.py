"""One gatekeeper: separation of duties for identity access.

A user an administrator creates or moves is not confirmed for identity until a member of the
agency (or a chair of its table) confirms them. Users that existed before keep their access.

Revision ID: 0007
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import workflow.models.base

revision: str = "0007"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("identity_confirmed_at",
                                   workflow.models.base.UTCDateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column("identity_confirmed_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("privacy_contact", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.create_foreign_key(op.f("fk_users_identity_confirmed_by_id_users"), "users",
                                 ["identity_confirmed_by_id"], ["id"], ondelete="SET NULL")
    op.execute("UPDATE users SET identity_confirmed_at = created_at")
    with op.batch_alter_table("users") as batch:
        batch.alter_column("privacy_contact", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("fk_users_identity_confirmed_by_id_users"),
                              type_="foreignkey")
        batch.drop_column("privacy_contact")
        batch.drop_column("identity_confirmed_by_id")
        batch.drop_column("identity_confirmed_at")
