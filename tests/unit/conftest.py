"""The core's commands on in-memory SQLite, each test inside one transaction rolled back.

Why: a command test needs a table, agencies and users; building them per test on a real file
or server costs a second or more. Here the schema and a small world are built once per run,
and each test works on a connection whose outer transaction is rolled back at the end
(indico's pattern), so a test costs milliseconds and sees only what it made itself.

Each command runs like in production, one transaction per command: `with cmd() as s:` commits on
success and rolls back on a refusal, both to a SAVEPOINT inside the test's transaction
(join_transaction_mode="create_savepoint").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from support.factories import World, build_world, filter1

from workflow import interventions, meetings, situations
from workflow.models import Base, Meeting, OutboxEvent, Situation, User
from workflow.runtime import Runtime


def _savepoints_work(engine: Any) -> None:
    """pysqlite starts transactions late and breaks SAVEPOINT; let SQLAlchemy emit BEGIN."""

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


@pytest.fixture(scope="session")
def core_runtime() -> Iterator[Runtime]:
    """One in-memory database (SQLite keeps it on the pool's single connection)."""
    runtime = Runtime(database_url="sqlite://", keystore_url="sqlite://",
                      identity_key="unit-test-master-key")
    _savepoints_work(runtime.engine)
    Base.metadata.create_all(runtime.engine)
    yield runtime
    runtime.dispose()


@pytest.fixture(scope="session")
def core_world(core_runtime: Runtime) -> World:
    """The Peel table, its agencies (one per sector), a chair, a manager and an admin."""
    return build_world(core_runtime)


@pytest.fixture
def db(core_runtime: Runtime, core_world: World) -> Iterator[Session]:
    """A session whose every change is rolled back after the test."""
    connection = core_runtime.engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint",
                      expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def cmd(db: Session) -> Any:
    """`with cmd() as s:` runs one command: commit, or roll back on a refusal (a savepoint)."""

    @contextmanager
    def command() -> Iterator[Session]:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise

    return command


@pytest.fixture
def user(db: Session, core_world: World) -> Any:
    """user("chair") -> that User, loaded in the test's session."""

    def get(key: str) -> User:
        return db.get_one(User, core_world.users[key])

    return get


class Steps:
    """Bring a situation to a stage with the real commands, one command per transaction."""

    def __init__(self, db: Session, cmd: Any, user: Any, world: World) -> None:
        self.db, self.cmd, self.user, self.world = db, cmd, user, world

    def agency(self, slug: str) -> int:
        return self.world.agencies[slug]

    def draft(self, by: str = "school", **facts: Any) -> Situation:
        with self.cmd() as s:
            return situations.draft(s, self.user(by), self.world.table_id, filter1(**facts))

    def submitted(self, by: str = "school", **facts: Any) -> Situation:
        sit = self.draft(by, **facts)
        with self.cmd() as s:
            return situations.submit(s, self.user(by), sit.id)

    def meeting(self, present: tuple[str, ...] = ("police", "school", "cmha", "hospital"),
                *, open_it: bool = True) -> Meeting:
        """The table's next meeting, opened, with these agencies present."""
        with self.cmd() as s:
            chair = self.user("chair")
            meeting = meetings.next_meeting(s, self.world.table(s))
            if open_it:
                meetings.open_meeting(s, chair, meeting.id)
                for slug in present:
                    meetings.record_attendance(s, chair, meeting.id, self.agency(slug),
                                               present=True, confidentiality_ack=True)
            return meeting

    def accepted(self, **facts: Any) -> tuple[Situation, Meeting]:
        sit = self.submitted(**facts)
        meeting = self.meeting()
        with self.cmd() as s:
            situations.accept(s, self.user("chair"), sit.id, meeting.id)
        return sit, meeting

    def disclosed(self, **facts: Any) -> tuple[Situation, Meeting]:
        sit, meeting = self.accepted(**facts)
        with self.cmd() as s:
            interventions.disclose(s, self.user("chair"), sit.id,
                                   [self.agency("cmha"), self.agency("housing")],
                                   basis="phipa_40_1",
                                   meeting_id=meeting.id)
        return sit, meeting

    def planned(self, **facts: Any) -> tuple[Situation, Meeting]:
        """In intervention: CMHA leads, housing assists and owns one open task."""
        sit, meeting = self.disclosed(**facts)
        with self.cmd() as s:
            interventions.plan(
                s, self.user("chair"), sit.id, lead_agency_id=self.agency("cmha"),
                assisting_agency_ids=[self.agency("housing")],
                tasks=[interventions.TaskInput(self.agency("housing"), "Find a shelter bed")],
                meeting_id=meeting.id)
        return sit, meeting

    def closed(self, reason: str = "lowered_connected", **facts: Any) -> Situation:
        """Planned, its task done, then closed (by default with the risk lowered)."""
        sit, meeting = self.planned(**facts)
        with self.cmd() as s:
            interventions.update_task(s, self.user("housing"), sit.tasks[0].id, status="done")
        with self.cmd() as s:
            return interventions.close(s, self.user("chair"), sit.id, conclusion_reason=reason,
                                       meeting_id=meeting.id)

    def rejected(self, **facts: Any) -> Situation:
        sit = self.submitted(**facts)
        meeting = self.meeting()
        with self.cmd() as s:
            return situations.reject(s, self.user("chair"), sit.id, meeting.id, "single_agency")


@pytest.fixture
def steps(db: Session, cmd: Any, user: Any, core_world: World) -> Steps:
    return Steps(db, cmd, user, core_world)


@pytest.fixture
def outbox(db: Session) -> Any:
    """outbox(situation_id) -> the event types written for it, oldest first."""

    def event_types(situation_id: int) -> list[str]:
        return list(db.scalars(select(OutboxEvent.event_type)
                               .where(OutboxEvent.situation_id == situation_id)
                               .order_by(OutboxEvent.id)))

    return event_types
