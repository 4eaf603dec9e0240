"""The meeting page's forms read into the core's inputs: tasks, first-contact date, persons.

Why apart from the routes: these turn numbered form rows into the core's lists and point the
core's errors back at the row they came from, which is form work, not page flow.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import request
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from webui.values import bounded_int
from webui.views.common import chosen_ids
from workflow import interventions, replan
from workflow.errors import DomainError
from workflow.identity import Person
from workflow.models import User

TASK_ROWS = 3
MAX_PERSONS = 6


def persons_from_form(count: int) -> list[Person]:
    persons = []
    for i in range(count):
        values = {k: request.form.get(f"person-{i}-{k}", "").strip()
                  for k in ("name", "birth_date", "address", "phone")}
        if i > 0 and not any(values.values()):
            continue
        persons.append(Person(name=values["name"], birth_date=values["birth_date"] or None,
                              address=values["address"], phone=values["phone"]))
    return persons




def person_rows(persons_count: int) -> int:
    return max(1, min(persons_count, MAX_PERSONS))


def due_from_form(tz: str, errors: dict[str, str]) -> datetime | None:
    raw = request.form.get("first_contact_due", "").strip()
    if not raw:
        return None
    try:
        due = datetime.fromisoformat(raw)
        if not 2000 <= due.year <= 2200:  # far dates overflow when turned into UTC
            raise ValueError(raw)
        return due.replace(tzinfo=ZoneInfo(tz))
    except ValueError:
        errors["first_contact_due"] = _("Give a date and time, for example 2027-03-04 10:00.")
        return None


def tasks_from_form(errors: dict[str, str]) -> list[interventions.TaskInput]:
    tasks = []
    for i in range(TASK_ROWS):
        raw_agency = request.form.get(f"task-{i}-agency_id", "")
        agency = bounded_int(raw_agency, low=1)
        description = request.form.get(f"task-{i}-description", "")
        due = request.form.get(f"task-{i}-due_date", "").strip()
        if not raw_agency and not description.strip():
            continue
        if agency is None:
            errors[f"task-{i}-agency_id"] = _("Choose the agency that does this task.")
            continue
        due_date = None
        if due:
            try:
                due_date = date.fromisoformat(due)
            except ValueError:
                errors[f"task-{i}-due_date"] = _("Give the due date as YYYY-MM-DD.")
        tasks.append(interventions.TaskInput(agency, description, due_date))
    return tasks


def renumber_task_field(exc: DomainError, indexed: list[int]) -> None:
    """The core counts only the tasks given; point its error at the form row it came from."""
    if exc.field and exc.field.startswith("tasks["):
        n = int(exc.field[6:exc.field.index("]")])
        if n < len(indexed):
            exc.field = f"tasks[{indexed[n]}]" + exc.field[exc.field.index("]") + 1:]


#: The "change the plan" form's fields: an error about one is shown beside it (errors_of).
REPLAN_FIELDS = ("lead_agency_id", "assisting_agency_ids", "task-", "first_contact_due")


def change_plan(session: Session, actor: User, situation_id: int, errors: dict[str, str], *,
                timezone: str, meeting_id: int | None = None) -> None:
    """The "change the plan" form (meeting page or situation page) given to the core. What the
    form itself finds wrong is put in `errors`, beside its field, and stops it there; the
    core's refusal goes up with its field pointed at the form's row."""
    lead = bounded_int(request.form.get("lead_agency_id", ""), low=1)
    if lead is None:
        errors["lead_agency_id"] = _("Choose the lead agency.")
    assisting = chosen_ids("assisting_agency_ids", errors)
    tasks = tasks_from_form(errors)
    due = due_from_form(timezone, errors)
    if errors:
        name = next(iter(errors))
        raise DomainError(errors[name], field=name)
    indexed = [i for i in range(TASK_ROWS)
               if request.form.get(f"task-{i}-agency_id")
               or request.form.get(f"task-{i}-description", "").strip()]
    try:
        replan.replan(session, actor, situation_id, lead_agency_id=lead,
                      assisting_agency_ids=assisting, tasks=tasks, first_contact_due=due,
                      meeting_id=meeting_id,
                      expected_version=bounded_int(request.form.get("version", "")))
    except DomainError as exc:
        renumber_task_field(exc, indexed)
        raise
