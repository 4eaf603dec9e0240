"""A realistic synthetic community, and a bulk generator for large volumes.

`build_demo` walks situations through the real commands (so every stage, transition, audit
entry, rule firing and outbox event is genuine); `bulk_situations` inserts many closed,
rejected and open situations with plain multi-row INSERTs for benchmarks and reports.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from workflow import directory, interventions, meetings, situations
from workflow.identity import Identity, Person
from workflow.models import (
    Agency,
    Deadline,
    Involvement,
    Situation,
    SituationRiskFactor,
    SituationService,
    Table,
    utcnow,
)
from workflow.reference import load_catalog
from workflow.reports.rollups import refresh_rollups
from workflow.runtime import Runtime

DEMO_DOMAIN = "demo.hubtable.test"
Progress = Callable[[int], None]

ONTARIO_AGENCIES = [
    ("peel-police", "Peel Regional Police", "police", "en"),
    ("peel-cas", "Peel Children's Aid Society", "child_protection", "en"),
    ("peel-dsb", "Peel District School Board", "education", "en"),
    ("peel-hospital", "Peel Regional Hospital", "health", "en"),
    ("peel-cmha", "Canadian Mental Health Association Peel", "mental_health", "en"),
    ("peel-housing", "Peel Housing Services", "housing", "en"),
    ("peel-ow", "Ontario Works Peel", "social_services", "en"),
    ("peel-victim", "Victim Services of Peel", "victim_services", "en"),
    ("peel-youth", "Peel Youth Services", "youth_services", "en"),
    ("peel-probation", "Probation and Parole Peel", "justice", "en"),
]
VIETNAM_AGENCIES = [
    ("ct-police", "Công an thành phố Cần Thơ", "police", "vi"),
    ("ct-ctxh", "Trung tâm Công tác xã hội Cần Thơ", "social_services", "vi"),
    ("ct-111", "Tổng đài quốc gia bảo vệ trẻ em 111", "hotline", "vi"),
    ("ct-hlhpn", "Hội Liên hiệp Phụ nữ thành phố", "womens_organisation", "vi"),
    ("ct-yte", "Sở Y tế Cần Thơ", "health", "vi"),
    ("ct-giaoduc", "Sở Giáo dục và Đào tạo Cần Thơ", "education", "vi"),
    ("ct-tuphap", "Sở Tư pháp Cần Thơ", "justice", "vi"),
    ("ct-doan", "Đoàn Thanh niên thành phố", "youth_services", "vi"),
    ("ct-ubnd", "UBND xã An Bình", "local_government", "vi"),
]


@dataclass
class DemoResult:
    users: list[tuple[str, str, str]] = field(default_factory=list)  # role, email, agency
    tokens: list[tuple[str, str]] = field(default_factory=list)      # agency slug, token
    situations: int = 0


def _facts(rng: random.Random, *, child: bool = False) -> situations.Filter1:
    catalog = load_catalog()
    factors = rng.sample(sorted(catalog.factors), rng.randint(2, 5))
    if child:
        factors = ["physical_violence.person_victim", "parenting.neglect"] + [
            f for f in factors if f not in ("physical_violence.person_victim", "parenting.neglect")
        ][:2]
    return situations.Filter1(
        situation_type=rng.choice(["person", "person", "family", "dwelling"]),
        age_group=rng.choice(["6-11", "12-15"]) if child else rng.choice(
            ["16-17", "18-24", "25-29", "30-39", "40-59", "60+"]),
        gender=rng.choice(["female", "male", "female", "other", "unknown"]),
        risk_factors=factors, aer_reasons=factors[:1],
        summary="De-identified: several risks rising together; own options exhausted.",
        options_exhausted=True, needs_multiple_agencies=True, harm_probable_imminent=True,
        consent=rng.choice(["given", "refused", "not_possible"]),
        help_source=rng.choice(["hotline_111", "police", "self", "agency_referral"]),
    )


def _community(session: Session, result: DemoResult, password_hash: str, *, code: str,
               name: str, country: str, subdivision: str | None, tz: str, language: str,
               pack: str, agencies: list[tuple[str, str, str, str]], region: str
               ) -> tuple[Table, dict[str, int], dict[str, int]]:
    table = directory.create_table(session, code=code, name=name, country=country,
                                   subdivision=subdivision, timezone=tz, language=language,
                                   rule_pack_name=pack, region=region,
                                   meeting_place="Community Safety Office")
    agency_ids: dict[str, int] = {}
    users: dict[str, int] = {}
    for slug, agency_name, sector, lang in agencies:
        agency = directory.create_agency(session, slug=slug, name=agency_name, sector=sector,
                                         contact_email=f"{slug}@{DEMO_DOMAIN}", language=lang,
                                         table_ids=[table.id])
        agency_ids[slug] = agency.id
        email = f"{slug}.rep@{DEMO_DOMAIN}"
        user = directory.create_user(session, email=email, display_name=f"{agency_name} rep",
                                     password="", role="agency_rep", agency_id=agency.id,
                                     language=lang, password_hash=password_hash)
        users[slug] = user.id
        result.users.append(("agency_rep", email, slug))
        result.tokens.append((slug, directory.issue_api_token(session, agency, "demo")))
    first = agencies[0][0]
    chair_email = f"{code.lower()}.chair@{DEMO_DOMAIN}"
    chair = directory.create_user(session, email=chair_email, display_name=f"{name} chair",
                                  password="", role="chair", agency_id=agency_ids[first],
                                  table_ids=[table.id], language=language,
                                  password_hash=password_hash)
    users["chair"] = chair.id
    result.users.append(("chair", chair_email, first))
    return table, agency_ids, users


def build_demo(runtime: Runtime, *, password: str, canary: str | None = None,
               seed: int = 7, now: datetime | None = None) -> DemoResult:
    """Two tables (Ontario, Vietnam), their agencies and users, situations in every stage."""
    rng = random.Random(seed)
    now = now or utcnow()
    result = DemoResult()
    password_hash = directory.hash_password(password)
    with runtime.command() as s:
        if s.scalar(select(Table.id).where(Table.code == "PEEL")) is not None:
            raise ValueError("the demo community already exists in this database")
        peel, peel_agencies, peel_users = _community(
            s, result, password_hash, code="PEEL", name="Peel Situation Table", country="CA",
            subdivision="ON", tz="America/Toronto", language="en", pack="ontario-four-filter",
            agencies=ONTARIO_AGENCIES, region="Ontario")
        vn, vn_agencies, vn_users = _community(
            s, result, password_hash, code="CANTHO", name="Bàn tình huống Cần Thơ",
            country="VN", subdivision=None, tz="Asia/Ho_Chi_Minh", language="vi",
            pack="vn-gbv-child-protection", agencies=VIETNAM_AGENCIES, region="Cần Thơ")
        manager_email = f"manager@{DEMO_DOMAIN}"
        directory.create_user(s, email=manager_email, display_name="Regional manager",
                              password="", role="manager", agency_id=peel_agencies["peel-ow"],
                              table_ids=[peel.id, vn.id], password_hash=password_hash)
        result.users.append(("manager", manager_email, "peel-ow"))
        admin_email = f"admin@{DEMO_DOMAIN}"
        directory.create_user(s, email=admin_email, display_name="Administrator", password="",
                              role="admin", password_hash=password_hash)
        result.users.append(("admin", admin_email, "-"))
        peel_id, vn_id = peel.id, vn.id
    result.situations += _walk_table(runtime, rng, peel_id, peel_agencies, peel_users,
                                     canary=canary, now=now, child_cases=False)
    result.situations += _walk_table(runtime, rng, vn_id, vn_agencies, vn_users,
                                     canary=canary, now=now, child_cases=True)
    return result


def _identity(canary: str | None, rng: random.Random) -> Identity:
    if canary:
        return Identity([Person(name=canary, birth_date="1990-01-01", address=canary,
                                phone=canary)])
    first = rng.choice(["Alex", "Sam", "Jordan", "Taylor", "Minh", "Lan", "Hoa", "Tuan"])
    last = rng.choice(["Example", "Sample", "Nguyen", "Tran", "Smith"])
    return Identity([Person(name=f"{first} {last}", birth_date="1995-06-15",
                            address=f"{rng.randint(1, 99)} Example Road",
                            phone=f"555 01{rng.randint(10, 99)}")])


def _walk_table(runtime: Runtime, rng: random.Random, table_id: int, agencies: dict[str, int],
                users: dict[str, int], *, canary: str | None, now: datetime,
                child_cases: bool) -> int:
    """Three past meetings and one coming: every stage of the workflow is represented."""
    from workflow.models import User

    slugs = list(agencies)
    count = 0
    open_ids: list[int] = []
    for week in (3, 2, 1):
        when = now - timedelta(days=7 * week)
        new_ids = []
        with runtime.command() as session:
            for i in range(4 if week == 1 else 3):
                origin = session.get(User, users[slugs[(week + i) % len(slugs)]])
                sit = situations.draft(session, origin, table_id,
                                       _facts(rng, child=child_cases and i == 0),
                                       now=when - timedelta(days=2))
                situations.submit(session, origin, sit.id, now=when - timedelta(days=2))
                new_ids.append(sit.id)
                count += 1
        with runtime.command() as session:
            _sit_meeting(session, runtime, rng, session.get(User, users["chair"]), table_id,
                         agencies, new_ids, open_ids, week=week, when=when, canary=canary)

    # A withdrawn one, a draft, and new submissions for the coming meeting.
    with runtime.command() as session:
        origin = session.get(User, users[slugs[1]])
        gone = situations.draft(session, origin, table_id, _facts(rng), now=now)
        situations.submit(session, origin, gone.id, now=now)
        situations.withdraw(session, origin, gone.id, "originator_resolved", runtime.vault,
                            now=now)
        situations.draft(session, origin, table_id, _facts(rng), now=now)
        for slug in slugs[2:4]:
            rep = session.get(User, users[slug])
            sit = situations.draft(session, rep, table_id, _facts(rng), now=now)
            situations.submit(session, rep, sit.id, now=now)
    return count + 4


def _sit_meeting(session: Session, runtime: Runtime, rng: random.Random, chair, table_id: int,  # type: ignore[no-untyped-def]
                 agencies: dict[str, int], new_ids: list[int], open_ids: list[int], *,
                 week: int, when: datetime, canary: str | None) -> None:
    """One past meeting: attendance, report-backs and closures, then the new decisions."""
    slugs = list(agencies)
    table = session.get(Table, table_id)
    meeting = meetings.next_meeting(session, table, now=when - timedelta(days=1))
    meetings.open_meeting(session, chair, meeting.id, now=when)
    for slug in slugs[:6]:
        meetings.record_attendance(session, chair, meeting.id, agencies[slug], present=True,
                                   confidentiality_ack=True)
    for slug in slugs[6:7]:
        meetings.record_attendance(session, chair, meeting.id, agencies[slug], present=False,
                                   apologies_note="Sent an update by email")
    for sid in list(open_ids):
        sit = session.get(Situation, sid)
        interventions.report_back(session, chair, sid, meeting_id=meeting.id, now=when,
                                  progress_note="Contact made; services engaged.",
                                  first_contact_made=True, still_aer=week > 1)
        if week == 1 and sid % 2 == 0:
            for t in sit.tasks:
                t.status, t.completed_at = "done", when
            interventions.close(session, chair, sid, meeting_id=meeting.id, now=when,
                                conclusion_reason=rng.choice(
                                    ["lowered_connected", "lowered_informed",
                                     "still_aer_refused"]),
                                services=["counselling", "housing"])
            open_ids.remove(sid)
    reject_id, *accept_ids = new_ids
    situations.reject(session, chair, reject_id, meeting.id, "single_agency", now=when)
    if week == 1:
        # Presented, but the table asked for more information: decided at the next sitting.
        situations.present(session, chair, accept_ids.pop(), meeting.id, now=when)
    for n, sid in enumerate(accept_ids):
        situations.accept(session, chair, sid, meeting.id, now=when)
        if week == 1 and n == 0:
            continue  # left at "accepted": disclosure is decided next time
        lead, helper = slugs[(sid + 1) % 6], slugs[(sid + 2) % 6]
        interventions.disclose(session, chair, sid, [agencies[lead], agencies[helper]],
                               vault=runtime.vault, identity=_identity(canary, rng),
                               meeting_id=meeting.id, now=when)
        if week == 1:
            continue  # left at "disclosed"
        interventions.plan(session, chair, sid, lead_agency_id=agencies[lead],
                           assisting_agency_ids=[agencies[helper]], meeting_id=meeting.id,
                           now=when, tasks=[interventions.TaskInput(
                               agencies[helper], "Joint door knock with the lead")])
        open_ids.append(sid)
    meetings.close_meeting(session, chair, meeting.id, now=when + timedelta(hours=2))


# -- bulk ------------------------------------------------------------------------------------
def bulk_situations(session: Session, table_id: int, n: int, *, seed: int = 11,
                    now: datetime | None = None, overdue_share: float = 0.01,
                    chunk: int = 5000, progress: Progress | None = None) -> int:
    """Insert n synthetic situations (mostly closed) with factors, lead and services."""
    rng = random.Random(seed)
    now = now or utcnow()
    catalog = load_catalog()
    factor_codes = sorted(catalog.factors)
    agency_ids = list(session.scalars(select(Agency.id)))
    origin_id = agency_ids[0]
    table = session.get(Table, table_id)
    start_id = (session.scalar(select(func.max(Situation.id))) or 0) + 1
    ages = sorted(catalog.codes("age_groups"))
    conclusions = sorted(catalog.codes("conclusion_reasons"))
    done = 0
    while done < n:
        size = min(chunk, n - done)
        rows, factors, leads, services, deadlines = [], [], [], [], []
        for k in range(size):
            sid = start_id + done + k
            created = now - timedelta(days=rng.randint(20, 700), minutes=rng.randint(0, 1440))
            accepted = created + timedelta(days=rng.randint(1, 7))
            r = rng.random()
            stage = "closed" if r < 0.9 else ("rejected" if r < 0.95 else "intervention")
            lead = rng.choice(agency_ids)
            due = accepted + timedelta(days=2)
            contact = accepted + timedelta(hours=rng.randint(4, 96))
            rows.append({
                "id": sid, "ref": f"{table.code}-B{sid:08d}", "table_id": table_id,
                "originating_agency_id": rng.choice(agency_ids) or origin_id,
                "stage": stage, "version": 1, "situation_type": rng.choice(
                    ["person", "family", "dwelling", "neighbourhood"]),
                "age_group": rng.choice(ages), "gender": rng.choice(
                    ["female", "male", "other", "unknown"]),
                "summary": "", "persons_count": 1, "options_exhausted": True,
                "needs_multiple_agencies": True, "harm_probable_imminent": True,
                "consent": "given", "taxonomy_version": catalog.version,
                "rejection_reason": "not_aer" if stage == "rejected" else None,
                "lead_agency_id": lead if stage != "rejected" else None,
                "first_contact_due": due if stage != "rejected" else None,
                "first_contact_at": contact if stage != "rejected" else None,
                "conclusion_reason": rng.choice(conclusions) if stage == "closed" else None,
                "created_at": created, "submitted_at": created, "presented_at": accepted,
                "decided_at": accepted, "accepted_at": accepted if stage != "rejected" else None,
                "closed_at": accepted + timedelta(days=rng.randint(7, 120))
                if stage == "closed" else None,
                "updated_at": now,
            })
            for code in rng.sample(factor_codes, 3):
                factors.append({"situation_id": sid, "factor_code": code,
                                "category_code": catalog.category_of(code),
                                "is_aer_reason": False})
            if stage != "rejected":
                leads.append({"situation_id": sid, "agency_id": lead, "role": "lead"})
                services.append({"situation_id": sid, "service_code": "counselling"})
            if stage == "intervention":
                overdue = rng.random() < overdue_share * 20
                deadlines.append({"situation_id": sid, "kind": "report_back",
                                  "due_at": now - timedelta(hours=1) if overdue
                                  else now + timedelta(days=rng.randint(1, 30)),
                                  "rule_id": "bulk", "created_at": now})
        session.execute(insert(Situation.__table__), rows)
        session.execute(insert(SituationRiskFactor.__table__), factors)
        if leads:
            session.execute(insert(Involvement.__table__), leads)
            session.execute(insert(SituationService.__table__), services)
        if deadlines:
            session.execute(insert(Deadline.__table__), deadlines)
        done += size
        if progress:
            progress(size)
    # Leave the report's daily rollups current: the first report after a bulk load is as fast
    # as the next (a set-based rebuild when many days changed).
    refresh_rollups(session)
    return done
