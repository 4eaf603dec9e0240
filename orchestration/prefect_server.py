"""`prefect server start`, with one fix that makes its scheduler work beside SQLAlchemy 2.1.

Measured here (Prefect 3.8.8, SQLAlchemy 2.1.9): the server's scheduler service inserts the
coming runs of every deployment with an ORM bulk INSERT ... ON CONFLICT DO NOTHING, which
SQLAlchemy 2.1 refuses ("Can't evaluate bulk DML statement; please supply a bulk_dml
decorated function"): no scheduled run is ever created, so no schedule ever fires (manual and
triggered runs still work). hubtable needs SQLAlchemy 2.1, so the server child runs through
this module, which replaces that one function with the same statement on the table (a Core
executemany, which 2.1 accepts). Remove it once Prefect supports SQLAlchemy 2.1 (3.9 may).

`python -m orchestration.prefect_server --host H --port P`
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any
from uuid import UUID


def _patch_scheduler_insert() -> None:
    import sqlalchemy as sa
    from prefect._internal.uuid7 import uuid7
    from prefect.server.database import PrefectDBInterface, db_injector
    from prefect.server.models import deployments

    @db_injector
    async def _insert_scheduled_flow_runs(db: PrefectDBInterface, session: Any,
                                          runs: list[dict[str, Any]]) -> Sequence[UUID]:
        if not runs:
            return []
        table = db.FlowRun.__table__
        columns = set(table.c.keys())
        rows = [{k: v for k, v in run.items() if k in columns} for run in runs]
        await session.execute(
            db.queries.insert(table).on_conflict_do_nothing(
                index_elements=db.orm.flow_run_unique_upsert_columns),
            rows,
        )
        inserted_rows = sa.select(db.FlowRun.id).where(
            db.FlowRun.id.in_([r["id"] for r in runs]),
            ~sa.select(db.FlowRunState.id)
            .where(db.FlowRunState.flow_run_id == db.FlowRun.id)
            .exists(),
        )
        inserted = (await session.execute(inserted_rows)).scalars().all()
        states = [{"id": uuid7(), "flow_run_id": r["id"], **r["state"]}
                  for r in runs if r["id"] in inserted]
        if states:
            await session.execute(db.FlowRunState.__table__.insert(), states)
            await session.execute(db.queries.set_state_id_on_inserted_flow_runs_statement(
                inserted_flow_run_ids=inserted, insert_flow_run_states=states))
        return inserted

    deployments._insert_scheduled_flow_runs = _insert_scheduled_flow_runs


def main(argv: list[str]) -> None:
    _patch_scheduler_insert()
    from prefect.cli import app

    sys.argv = ["prefect", "server", "start", *argv]
    app()


if __name__ == "__main__":
    main(sys.argv[1:])
