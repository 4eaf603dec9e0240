"""prepare-agenda: hourly, prepare each table's next meeting once it is close.

Preparing is idempotent: the first time notifies the member agencies; later runs before the
meeting only add what was submitted since and re-order (flagged and overdue first).
"""

from __future__ import annotations

from datetime import timedelta

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from sqlalchemy import select

from orchestration import context
from orchestration.flows.dispatch import dispatch_outbox
from orchestration.flows.recording import recorded
from orchestration.flows.retry import transient
from workflow import meetings
from workflow.models import Table, utcnow

HORIZON_HOURS = 48


@task(name="table-ids", cache_policy=NONE)
def table_ids() -> list[int]:
    with context.runtime().read() as session:
        return list(session.scalars(select(Table.id).order_by(Table.id)))


@task(name="prepare-table-agenda", cache_policy=NONE, retries=2, retry_delay_seconds=[2, 10],
      retry_condition_fn=transient)
def prepare_table_agenda(table_id: int, horizon_hours: float) -> int | None:
    """The meeting id prepared, or None when the next meeting is further than the horizon.

    Two runs at once may both create the next meeting: the database keeps one (unique table
    and time) and the loser's retry finds it.
    """
    now = utcnow()
    with context.runtime().command() as session:
        table = session.get(Table, table_id)
        if table is None:
            return None
        meeting = meetings.next_meeting(session, table, now=now)
        if meeting.status != "planned" or (
                meeting.scheduled_at - now > timedelta(hours=horizon_hours)):
            return None
        meetings.prepare_agenda(session, meeting, now=now)
        return meeting.id


@flow(name="prepare-agenda")
def prepare_agenda(horizon_hours: float = HORIZON_HOURS) -> list[int]:
    prepared: list[int] = []
    failed: list[int] = []
    with recorded("prepare-agenda") as outcome:
        for table_id in table_ids():  # each table on its own: one bad table stops no other
            try:
                meeting_id = prepare_table_agenda(table_id, horizon_hours)
            except Exception as exc:  # noqa: BLE001 (logged by class, raised after the loop)
                get_run_logger().error("agenda: table %s failed (%s)", table_id,
                                       type(exc).__name__)
                failed.append(table_id)
                continue
            if meeting_id is not None:
                prepared.append(meeting_id)
        outcome.message = f"prepared {len(prepared)} agenda(s)"
        if prepared:
            dispatch_outbox()
        if failed:
            raise RuntimeError(f"agenda failed for table(s) {failed}; the others were prepared")
    get_run_logger().info("agenda: %s", outcome.message)
    return prepared
