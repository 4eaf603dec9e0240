"""The data-version triggers carry their own condition: once a transaction has bumped the
counter, its later statements no longer call the PL/pgSQL function only for it to return
(workflow/models/versions.py; about 7% of the server's CPU per command, measured with
bench/bench_ceiling.py). PostgreSQL only; what the triggers do is unchanged.

Revision ID: 0015_bump_once
Revises: 0014_redundant_indexes
"""

from __future__ import annotations

from alembic import op

from workflow.models.versions import install_triggers, migrated_tables

revision: str = "0015_bump_once"
down_revision: str | None = "0014_redundant_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    install_triggers(op.get_bind(), migrated_tables(op.get_bind()))


def downgrade() -> None:
    install_triggers(op.get_bind(), migrated_tables(op.get_bind()), only_until_bumped=False)
