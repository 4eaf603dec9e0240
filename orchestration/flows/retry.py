"""When a task's failure is worth retrying: not when the core refused (the input is wrong).

A DomainError (an unknown period, a closed meeting) fails the same way every time; a lost
database connection or an SMTP hiccup may not. Used as `retry_condition_fn` on every task.
"""

from __future__ import annotations

from typing import Any

from workflow.errors import DomainError


def transient(_task: Any, _task_run: Any, state: Any) -> bool:
    try:
        state.result()
    except DomainError:
        return False
    except Exception:  # anything else: worth another try
        return True
    return True
