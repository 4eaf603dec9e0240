"""Small helpers that make a valid object in one line (after CTFd's gen_* helpers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from workflow import directory, interventions, meetings, situations
from workflow.identity import Identity, Person
from workflow.models import Agency, Meeting, Situation, Table, User, utcnow
from workflow.runtime import Runtime

PASSWORD = "correct-horse-battery"
# One Argon2 hash is computed per test session so that building users stays fast.
_HASH: str | None = None


def _password_hash() -> str:
    global _HASH
    if _HASH is None:
        _HASH = directory.hash_password(PASSWORD)
    return _HASH


@dataclass
class World:
    runtime: Runtime
    table_id: int
    agencies: dict[str, int] = field(default_factory=dict)   # slug -> id
    users: dict[str, int] = field(default_factory=dict)      # key -> id

    def user(self, session, key: str) -> User:
        return session.get(User, self.users[key])

    def agency(self, session, slug: str) -> Agency:
        return session.get(Agency, self.agencies[slug])

    def table(self, session) -> Table:
        return session.get(Table, self.table_id)


AGENCIES = [
    ("police", "Peel Police", "police"),
    ("cas", "Children's Aid Society", "child_protection"),
    ("school", "District School Board", "education"),
    ("hospital", "Regional Hospital", "health"),
    ("cmha", "Mental Health Association", "mental_health"),
    ("housing", "Housing Services", "housing"),
    ("outsider", "Agency at another table", "community"),
]


def build_world(runtime: Runtime, *, country: str = "CA", pack: str = "ontario-four-filter"
                ) -> World:
    with runtime.command() as s:
        table = directory.create_table(
            s, code="PEEL" if country == "CA" else "CANTHO", name="Peel Situation Table",
            country=country, subdivision="ON" if country == "CA" else None,
            timezone="America/Toronto" if country == "CA" else "Asia/Ho_Chi_Minh",
            rule_pack_name=pack)
        other = directory.create_table(s, code="OTHER", name="Another table", country=country)
        world = World(runtime=runtime, table_id=table.id)
        for slug, name, sector in AGENCIES:
            tables = [other.id] if slug == "outsider" else [table.id]
            a = directory.create_agency(s, slug=slug, name=name, sector=sector,
                                        contact_email=f"{slug}@agencies.test", table_ids=tables)
            world.agencies[slug] = a.id
            u = directory.create_user(s, email=f"{slug}@demo.hubtable.test",
                                      display_name=f"{name} rep", password="", role="agency_rep",
                                      agency_id=a.id, password_hash=_password_hash())
            world.users[slug] = u.id
        chair = directory.create_user(s, email="chair@demo.hubtable.test", display_name="Chair",
                                      password="", role="chair",
                                      agency_id=world.agencies["police"], table_ids=[table.id],
                                      password_hash=_password_hash())
        manager = directory.create_user(s, email="manager@demo.hubtable.test",
                                        display_name="Manager", password="", role="manager",
                                        agency_id=world.agencies["cmha"], table_ids=[table.id],
                                        password_hash=_password_hash())
        admin = directory.create_user(s, email="admin@demo.hubtable.test", display_name="Admin",
                                      password="", role="admin", password_hash=_password_hash())
        world.users.update(chair=chair.id, manager=manager.id, admin=admin.id)
    return world


def filter1(**overrides) -> situations.Filter1:
    values = dict(
        situation_type="person", age_group="25-29", gender="female",
        risk_factors=["mental_health.diagnosed", "housing.transient", "drugs.person_use"],
        aer_reasons=["mental_health.diagnosed"], summary="Adult, recent eviction, not in care.",
        options_exhausted=True, needs_multiple_agencies=True, harm_probable_imminent=True,
        consent="not_possible",
    )
    values.update(overrides)
    return situations.Filter1(**values)


def submitted(world: World, *, by: str = "school", now: datetime | None = None,
              **facts) -> int:
    with world.runtime.command() as s:
        actor = world.user(s, by)
        sit = situations.draft(s, actor, world.table_id, filter1(**facts), now=now)
        situations.submit(s, actor, sit.id, now=now)
        return sit.id


def open_meeting(world: World, *, present: tuple[str, ...] = ("police", "school", "cmha",
                                                               "hospital", "housing", "cas"),
                 now: datetime | None = None) -> int:
    with world.runtime.command() as s:
        chair = world.user(s, "chair")
        meeting = meetings.next_meeting(s, world.table(s), now=now)
        meetings.open_meeting(s, chair, meeting.id, now=now)
        for slug in present:
            meetings.record_attendance(s, chair, meeting.id, world.agencies[slug], present=True,
                                       confidentiality_ack=True)
        return meeting.id


def close_meeting(world: World, meeting_id: int, *, now: datetime | None = None) -> None:
    with world.runtime.command() as s:
        meetings.close_meeting(s, world.user(s, "chair"), meeting_id, now=now)


def accepted_with_identity(world: World, *, name: str = "Early Entry",
                           birth_date: str | None = None) -> int:
    """A situation the chair accepted and entered identity for at once (no disclosure yet)."""
    sid = submitted(world)
    mid = open_meeting(world)
    with world.runtime.command() as s:
        chair = world.user(s, "chair")
        situations.accept(s, chair, sid, mid)
        world.runtime.vault.record(s, chair, s.get(Situation, sid),
                                   Identity([Person(name=name, birth_date=birth_date)]))
    return sid


def in_intervention(world: World, *, identity_name: str = "Jane Example",
                    now: datetime | None = None, **facts) -> tuple[int, int]:
    """A situation accepted, disclosed to CMHA and housing, planned with CMHA as lead."""
    sid = submitted(world, now=now, **facts)
    mid = open_meeting(world, now=now)
    with world.runtime.command() as s:
        chair = world.user(s, "chair")
        situations.accept(s, chair, sid, mid, now=now)
        interventions.disclose(
            s, chair, sid, [world.agencies["cmha"], world.agencies["housing"],
                            world.agencies["school"]], basis="phipa_40_1",
            vault=world.runtime.vault, meeting_id=mid, now=now,
            identity=Identity([Person(name=identity_name, birth_date="1999-04-01",
                                      address="12 Example Street", phone="555 0100")]))
        interventions.plan(
            s, chair, sid, lead_agency_id=world.agencies["cmha"],
            assisting_agency_ids=[world.agencies["housing"]],
            tasks=[interventions.TaskInput(world.agencies["housing"], "Find shelter bed")],
            meeting_id=mid, now=now)
    return sid, mid


def get(world: World, model, ident):
    with world.runtime.read() as s:
        obj = s.get(model, ident)
        s.expunge(obj)
        return obj


__all__ = ["Meeting", "Situation", "timedelta", "utcnow"]
