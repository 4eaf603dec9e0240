"""Each flow run leaves its start, end and outcome in the application database.

So /healthz and `hubtable status` can say when a job last ran and whether it worked, even when
Prefect is down. The message is counts or an exception's class name: exception texts can quote
data (a database error quotes the row), so they go to Prefect's log only, never here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from orchestration import context
from workflow import flow_runs


@dataclass
class Outcome:
    """What the run says of itself: a failed delivery makes a finished run not ok."""

    message: str = ""
    ok: bool = True
    error: str | None = None


@contextmanager
def recorded(flow_name: str) -> Iterator[Outcome]:
    rt = context.runtime()
    with rt.command() as session:
        flow_runs.started(session, flow_name)
    outcome = Outcome()
    try:
        yield outcome
    except BaseException as exc:
        with rt.command() as session:
            flow_runs.finished(session, flow_name, ok=False,
                               message=f"failed: {type(exc).__name__}",
                               error=type(exc).__name__)
        raise
    with rt.command() as session:
        flow_runs.finished(session, flow_name, ok=outcome.ok, message=outcome.message,
                           error=outcome.error)
