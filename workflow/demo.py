"""A realistic synthetic community, and a bulk generator for large volumes.

`build_demo` gives each table a year of history (workflow.demo_history: hundreds of decided
and closed situations, so a manager's first report has real figures), then walks the last
weeks' situations through the real commands (so every stage, transition, audit entry, rule
firing and outbox event of the current work is genuine); `bulk_situations` inserts many more
for volume.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import api_tokens, directory, interventions, legal_basis, meetings, situations
from workflow.demo_history import history
from workflow.demo_profiles import ONTARIO, VIETNAM, Profile
from workflow.identity import Identity, Person
from workflow.models import Situation, Table, User, utcnow
from workflow.reference import load_catalog
from workflow.reports.rollups import refresh_rollups
from workflow.runtime import Runtime

DEMO_DOMAIN = "demo.hubtable.test"
# The most synthetic situations one bulk load inserts: hours of work already; more is a typo.
MAX_BULK_SITUATIONS = 2_000_000
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
    ("ct-ubnd", "UBND phường An Bình", "local_government", "vi"),
]
#: The Vietnamese table's people and places: Cần Thơ's wards (quận Ninh Kiều), Vietnamese names.
VIETNAM_PEOPLE = ["Nguyễn Thị Lan", "Trần Văn Hùng", "Lê Thị Mai", "Phạm Minh Tuấn",
                  "Huỳnh Thị Hoa", "Võ Văn Phúc", "Đặng Thị Thu", "Bùi Quốc Bảo",
                  "Đỗ Thị Ngọc", "Ngô Thanh Sơn"]
CAN_THO_WARDS = ["phường An Hòa", "phường Xuân Khánh", "phường Cái Khế", "phường Hưng Lợi",
                 "phường An Khánh", "phường An Bình", "phường Tân An", "phường Thới Bình"]
CAN_THO_STREETS = ["đường 30 Tháng 4", "đường Mậu Thân", "đường Trần Hưng Đạo",
                   "đường Nguyễn Văn Cừ", "đường Hòa Bình"]
#: The situations of the last weeks' meetings, and the history before them, per table.
HISTORY_PER_TABLE = 420
TEXTS = {
    "en": {"summary": "De-identified: several risks rising together; own options exhausted.",
           "progress": "Contact made; services engaged.",
           "apologies": "Sent an update by email",
           "task": "Joint door knock with the lead",
           "place": "Community Safety Office"},
    "vi": {"summary": "Đã khử định danh: nhiều nguy cơ cùng tăng; gia đình đã hết cách tự "
                      "xoay xở.",
           "progress": "Đã liên hệ được; các dịch vụ hỗ trợ đã vào cuộc.",
           "apologies": "Đã gửi thông tin cập nhật qua thư điện tử",
           "task": "Cùng cơ quan chủ trì đến thăm gia đình",
           "place": "Hội trường UBND quận Ninh Kiều, thành phố Cần Thơ"},
}


@dataclass
class DemoResult:
    users: list[tuple[str, str, str]] = field(default_factory=list)  # role, email, agency
    tokens: list[tuple[str, str]] = field(default_factory=list)      # agency slug, token
    situations: int = 0


def _facts(rng: random.Random, *, child: bool = False, lang: str = "en"
           ) -> situations.Filter1:
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
        summary=TEXTS[lang]["summary"],
        options_exhausted=True, needs_multiple_agencies=True, harm_probable_imminent=True,
        consent=rng.choice(["given", "refused", "not_possible"]),
        help_source=rng.choice(["hotline_111", "police", "self", "agency_referral"]),
    )


def _community(session: Session, result: DemoResult, password_hash: str, *, code: str,
               name: str, country: str, subdivision: str | None, tz: str, language: str,
               pack: str, agencies: list[tuple[str, str, str, str]], region: str,
               people: list[str] | None = None
               ) -> tuple[Table, dict[str, int], dict[str, int]]:
    table = directory.create_table(session, code=code, name=name, country=country,
                                   subdivision=subdivision, timezone=tz, language=language,
                                   rule_pack_name=pack, region=region,
                                   meeting_place=TEXTS[language]["place"])
    agency_ids: dict[str, int] = {}
    users: dict[str, int] = {}
    for n, (slug, agency_name, sector, lang) in enumerate(agencies):
        agency = directory.create_agency(session, slug=slug, name=agency_name, sector=sector,
                                         contact_email=f"{slug}@{DEMO_DOMAIN}", language=lang,
                                         table_ids=[table.id])
        agency_ids[slug] = agency.id
        email = f"{slug}.rep@{DEMO_DOMAIN}"
        person = f"{people[(n + 1) % len(people)]} ({agency_name})" if people else None
        user = directory.create_user(session, email=email,
                                     display_name=person or f"{agency_name} rep",
                                     password="", role="agency_rep", agency_id=agency.id,
                                     language=lang, password_hash=password_hash)
        users[slug] = user.id
        result.users.append(("agency_rep", email, slug))
        result.tokens.append((slug, api_tokens.issue_api_token(session, agency, "demo")))
    first = agencies[0][0]
    chair_email = f"{code.lower()}.chair@{DEMO_DOMAIN}"
    chair = directory.create_user(session, email=chair_email,
                                  display_name=f"{people[0]} (chủ trì)" if people
                                  else f"{name} chair",
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
            pack="vn-gbv-child-protection", agencies=VIETNAM_AGENCIES, region="Cần Thơ",
            people=VIETNAM_PEOPLE)
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
    result.situations += _history(runtime, peel_id, ONTARIO, now=now, seed=seed)
    result.situations += _history(runtime, vn_id, VIETNAM, now=now, seed=seed + 1)
    result.situations += _walk_table(runtime, rng, peel_id, peel_agencies, peel_users,
                                     canary=canary, now=now, child_cases=False, lang="en")
    result.situations += _walk_table(runtime, rng, vn_id, vn_agencies, vn_users,
                                     canary=canary, now=now, child_cases=True, lang="vi")
    return result


def _history(runtime: Runtime, table_id: int, profile: Profile, *, now: datetime,
             seed: int) -> int:
    """A year of decided and closed situations before the walked weeks (see demo_history)."""
    with runtime.command() as session:
        return history(session, table_id, HISTORY_PER_TABLE, profile=profile, seed=seed,
                       now=now - timedelta(days=21), days=(7, 335), open_share=0.1)


def _identity(canary: str | None, rng: random.Random, lang: str = "en") -> Identity:
    if canary:
        return Identity([Person(name=canary, birth_date="1990-01-01", address=canary,
                                phone=canary)])
    if lang == "vi":
        street = f"{rng.randint(1, 199)} {rng.choice(CAN_THO_STREETS)}"
        return Identity([Person(name=rng.choice(VIETNAM_PEOPLE), birth_date="2012-03-08",
                                address=f"{street}, {rng.choice(CAN_THO_WARDS)}, quận Ninh "
                                        "Kiều, thành phố Cần Thơ",
                                phone=f"0292 38{rng.randint(10000, 99999)}")])
    first = rng.choice(["Alex", "Sam", "Jordan", "Taylor", "Minh", "Lan", "Hoa", "Tuan"])
    last = rng.choice(["Example", "Sample", "Nguyen", "Tran", "Smith"])
    return Identity([Person(name=f"{first} {last}", birth_date="1995-06-15",
                            address=f"{rng.randint(1, 99)} Example Road",
                            phone=f"555 01{rng.randint(10, 99)}")])


def _walk_table(runtime: Runtime, rng: random.Random, table_id: int, agencies: dict[str, int],
                users: dict[str, int], *, canary: str | None, now: datetime,
                child_cases: bool, lang: str = "en") -> int:
    """Three past meetings and one coming: every stage of the workflow is represented."""
    slugs = list(agencies)
    count = 0
    open_ids: list[int] = []
    for week in (3, 2, 1):
        when = now - timedelta(days=7 * week)
        new_ids = []
        with runtime.command() as session:
            for i in range(4 if week == 1 else 3):
                origin = session.get_one(User, users[slugs[(week + i) % len(slugs)]])
                sit = situations.draft(session, origin, table_id,
                                       _facts(rng, child=child_cases and i == 0, lang=lang),
                                       now=when - timedelta(days=2))
                situations.submit(session, origin, sit.id, now=when - timedelta(days=2))
                new_ids.append(sit.id)
                count += 1
        with runtime.command() as session:
            _sit_meeting(session, runtime, rng, session.get_one(User, users["chair"]), table_id,
                         agencies, new_ids, open_ids, week=week, when=when, canary=canary,
                         lang=lang)

    # A withdrawn one, a draft, and new submissions for the coming meeting.
    with runtime.command() as session:
        origin = session.get_one(User, users[slugs[1]])
        gone = situations.draft(session, origin, table_id, _facts(rng, lang=lang), now=now)
        situations.submit(session, origin, gone.id, now=now)
        situations.withdraw(session, origin, gone.id, "originator_resolved", runtime.vault,
                            now=now)
        situations.draft(session, origin, table_id, _facts(rng, lang=lang), now=now)
        for slug in slugs[2:4]:
            rep = session.get_one(User, users[slug])
            sit = situations.draft(session, rep, table_id, _facts(rng, lang=lang), now=now)
            situations.submit(session, rep, sit.id, now=now)
    return count + 4


def _sit_meeting(session: Session, runtime: Runtime, rng: random.Random, chair: User,
                 table_id: int,
                 agencies: dict[str, int], new_ids: list[int], open_ids: list[int], *,
                 week: int, when: datetime, canary: str | None, lang: str = "en") -> None:
    """One past meeting: attendance, report-backs and closures, then the new decisions."""
    slugs = list(agencies)
    table = session.get_one(Table, table_id)
    meeting = meetings.next_meeting(session, table, now=when - timedelta(days=1))
    meetings.open_meeting(session, chair, meeting.id, now=when)
    for slug in slugs[:6]:
        meetings.record_attendance(session, chair, meeting.id, agencies[slug], present=True,
                                   confidentiality_ack=True)
    for slug in slugs[6:7]:
        meetings.record_attendance(session, chair, meeting.id, agencies[slug], present=False,
                                   apologies_note=TEXTS[lang]["apologies"])
    for sid in list(open_ids):
        sit = session.get_one(Situation, sid)
        interventions.report_back(session, chair, sid, meeting_id=meeting.id, now=when,
                                  progress_note=TEXTS[lang]["progress"],
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
        basis = legal_basis.suggested(session, session.get_one(Situation, sid))
        interventions.disclose(session, chair, sid, [agencies[lead], agencies[helper]],
                               basis=basis, vault=runtime.vault,
                               identity=_identity(canary, rng, lang),
                               meeting_id=meeting.id, now=when)
        if week == 1:
            continue  # left at "disclosed"
        interventions.plan(session, chair, sid, lead_agency_id=agencies[lead],
                           assisting_agency_ids=[agencies[helper]], meeting_id=meeting.id,
                           now=when, tasks=[interventions.TaskInput(
                               agencies[helper], TEXTS[lang]["task"])])
        open_ids.append(sid)
    meetings.close_meeting(session, chair, meeting.id, now=when + timedelta(hours=2))


# -- bulk ------------------------------------------------------------------------------------
def bulk_situations(session: Session, table_id: int, n: int, *, seed: int = 11,
                    now: datetime | None = None, overdue_share: float = 0.01,
                    chunk: int = 5000, progress: Progress | None = None) -> int:
    """Insert n synthetic situations over the last two years (mostly closed), each as complete
    as the commands would leave it (see workflow.demo_history)."""
    if not 0 <= n <= MAX_BULK_SITUATIONS:
        raise ValueError(f"a bulk load inserts 0 to {MAX_BULK_SITUATIONS:,} situations, not {n}")
    done = history(session, table_id, n, seed=seed, now=now, days=(20, 700),
                   overdue_share=overdue_share, chunk=chunk, progress=progress)
    refresh_rollups(session)  # the first report after a bulk load is as fast as the next
    return done
