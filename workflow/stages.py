"""The stage graph and every command of the product, declared once: every other module asks.

    draft --submit--> submitted --schedule--> on_agenda --present--> presented
    presented --accept--> accepted | --reject--> rejected          (filter 2)
    accepted --disclose--> disclosed                                (filter 3)
    disclosed --plan--> intervention                                (filter 4)
    intervention --replan--> intervention      (another lead, other assisting agencies)
    intervention --report_back--> intervention --close--> closed
    any open stage --withdraw--> withdrawn
    closed | rejected | withdrawn --re_present--> a NEW draft linked to this one

Each `Step` says where a command may start, where it leads, which filter it belongs to, who
may give it (relations of the actor to the situation, evaluated by workflow.gatekeeper), which
rule-pack trigger guards it, and what it writes to the audit log. Nothing else in the product
names a stage or decides who may act: adapters ask workflow.gatekeeper.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow.errors import IllegalTransition

#: Relations an actor can have to a situation (see workflow.gatekeeper.relations_of).
ORIGINATOR = "originator"  # a user of the originating agency who may present situations
CHAIR = "chair"  # a chair or coordinator of the situation's table
INTERVENING = "intervening"  # a user of the lead or an assisting agency
GRANTED = "granted"  # a confirmed user of an agency the table granted disclosure to
TASK_AGENCY = "task_agency"  # a user of the agency that owns the task in question
MEMBER = "member"  # a user of an agency that sits at the table, who may present situations
ADMIN = "admin"  # an administrator of the directory (never of situations)
RELATIONS = (ORIGINATOR, CHAIR, INTERVENING, GRANTED, TASK_AGENCY, MEMBER, ADMIN)


@dataclass(frozen=True)
class Step:
    command: str
    sources: tuple[str, ...]
    target: str | None  # None: the command keeps the stage, or makes a new record
    filter: int | None = None
    who: tuple[str, ...] = ()
    guard: str | None = None  # the rule-pack trigger whose guards may refuse it
    audit: str = ""  # the audit action it writes
    keeps: tuple[str, ...] = ()  # sources from which the stage stays as it is
    about: str = "situation"  # situation | table | directory: what the command acts on

    def leads_to(self, stage: str) -> str:
        if self.target is None or stage in self.keeps:
            return stage
        return self.target


DRAFT = "draft"
OPEN_STAGES = (
    "draft",
    "submitted",
    "on_agenda",
    "presented",
    "accepted",
    "disclosed",
    "intervention",
)
END_STAGES = ("closed", "rejected", "withdrawn")
ALL_STAGES = OPEN_STAGES + END_STAGES
#: Drafts belong to their agency until submitted: nobody else sees or edits them.
PRIVATE_STAGES = ("draft",)
#: Stages that come to a meeting as new (filter 2 still to decide).
NEW_STAGES = ("submitted", "on_agenda", "presented")
#: Accepted and not finished: the lead reports back at each meeting until closure.
FOLLOW_STAGES = ("accepted", "disclosed", "intervention")
#: Stages in which no agency has been granted identity yet (withdrawal destroys it at once).
BEFORE_DISCLOSURE = ("draft", "submitted", "on_agenda", "presented", "accepted")
#: Stages in which granted agencies may read the limited identity (until the purge).
IDENTITY_READABLE = ("disclosed", "intervention", "closed", "withdrawn")
#: Stages the coordinator dashboard lists.
DASHBOARD_STAGES = (*NEW_STAGES, *FOLLOW_STAGES)
_DECIDABLE = ("submitted", "on_agenda", "presented")

STEPS: dict[str, Step] = {
    s.command: s
    for s in (
        # filter 1: the originating agency's own
        Step("draft", (), DRAFT, 1, (MEMBER,), None, "situation.draft", about="table"),
        Step("update_draft", ("draft",), None, 1, (ORIGINATOR,), None, "situation.update_draft"),
        Step("submit", ("draft",), "submitted", 1, (ORIGINATOR,), "submit", "situation.submit"),
        Step("schedule", ("submitted",), "on_agenda", 2, (ORIGINATOR, CHAIR), None,
             "situation.schedule"),
        # filter 2: the table decides, in a meeting
        Step("present", ("on_agenda", "submitted"), "presented", 2, (CHAIR,), "present",
             "situation.present"),
        Step("accept", _DECIDABLE, "accepted", 2, (CHAIR,), "accept", "situation.accept"),
        Step("reject", _DECIDABLE, "rejected", 2, (CHAIR,), "reject", "situation.reject"),
        # filter 3: limited identity to the agencies the table names
        Step("disclose", FOLLOW_STAGES, "disclosed", 3, (CHAIR,), "disclose",
             "situation.disclose", keeps=("intervention",)),
        Step("record_identity", FOLLOW_STAGES, None, 3, (CHAIR, GRANTED), None,
             "identity.write"),
        Step("read_identity", IDENTITY_READABLE, None, 3, (GRANTED,), None, "identity.read"),
        # filter 4: the intervention
        Step("plan", ("accepted", "disclosed"), "intervention", 4, (CHAIR,), "plan",
             "situation.plan"),
        # the plan changes while the intervention runs; no pack trigger (rules.vocabulary)
        Step("replan", ("intervention",), None, 4, (CHAIR,), None, "situation.replan"),
        Step("record_first_contact", ("intervention",), None, 4, (INTERVENING,), None,
             "situation.first_contact"),
        Step("update_task", ("intervention",), None, 4, (TASK_AGENCY, CHAIR), None,
             "task.update"),
        Step("report_back", ("intervention",), None, 4, (INTERVENING, CHAIR), "report_back",
             "situation.report_back"),
        Step("close", ("intervention",), "closed", None, (CHAIR,), "close", "situation.close"),
        Step("clear_flag", OPEN_STAGES, None, None, (CHAIR,), None, "flag.clear"),
        # the ends of a situation's life
        Step("withdraw", OPEN_STAGES, "withdrawn", None, (ORIGINATOR, CHAIR), "withdraw",
             "situation.withdraw"),
        Step("re_present", END_STAGES, None, 1, (ORIGINATOR,), "re_present",
             "situation.re_present"),
        # filter 2 between meetings: a decision round reaches the same accept and reject
        Step("open_round", _DECIDABLE, None, 2, (CHAIR,), None, "round.open", about="round"),
        Step("answer_round", _DECIDABLE, None, 2, (MEMBER,), None, "round.answer",
             about="round"),
        # after closure: did the risk stay lowered? (asked of the agencies that intervened)
        Step("record_follow_up", ("closed",), None, None, (INTERVENING,), None,
             "situation.follow_up", about="follow_up"),
        # administration: the directory, never a situation's content
        Step("create_user", (), None, None, (ADMIN,), None, "user.create", about="directory"),
        Step("update_user", (), None, None, (ADMIN,), None, "user.update", about="directory"),
        Step("create_agency", (), None, None, (ADMIN,), None, "agency.create",
             about="directory"),
        Step("update_agency", (), None, None, (ADMIN,), None, "agency.update",
             about="directory"),
        Step("update_membership", (), None, None, (ADMIN,), None, "membership.update",
             about="directory"),
        Step("create_table", (), None, None, (ADMIN,), None, "table.create", about="directory"),
        Step("update_table", (), None, None, (ADMIN,), None, "table.update", about="directory"),
        Step("update_table_privacy", (), None, None, (ADMIN,), None, "table.privacy",
             about="directory"),
        Step("install_rule_pack", (), None, None, (ADMIN,), None, "rules.install",
             about="directory"),
        Step("select_rule_pack", (), None, None, (ADMIN,), None, "rules.select",
             about="directory"),
        Step("set_notification_preference", (), None, None, (ADMIN, MEMBER), None,
             "notifications.preference", about="directory"),
        Step("confirm_identity_access", (), None, None, (GRANTED, CHAIR), None,
             "user.identity_confirmed", about="directory"),
    )
}

#: The commands that act on one situation (the rest act on a table or the directory).
SITUATION_COMMANDS = tuple(c for c, s in STEPS.items() if s.about == "situation")

#: A label per stage, in English: adapters translate it (webui's catalogs hold these msgids).
LABELS = {
    "draft": "draft",
    "submitted": "submitted",
    "on_agenda": "on the agenda",
    "presented": "presented",
    "accepted": "accepted",
    "rejected": "rejected",
    "disclosed": "disclosed",
    "intervention": "intervention",
    "closed": "closed",
    "withdrawn": "withdrawn",
}

# What a person should do instead, by the stage the situation is in.
_NEXT_HINT = {
    "draft": "This situation is still a draft: submit it first.",
    "submitted": "This situation is submitted: put it on a meeting's agenda and present it "
                 "first.",
    "on_agenda": "This situation is on the agenda: present it at the meeting first.",
    "presented": "This situation is presented: the table must accept or reject it first.",
    "accepted": "This situation is accepted: disclose it to the agencies the table named, "
                "then plan the intervention.",
    "disclosed": "This situation is disclosed: plan the intervention (lead agency and first "
                 "contact) first.",
    "intervention": "The intervention is running: report back or close the situation.",
    "closed": "This situation is closed: re-present it as a new situation if the risk "
              "returned.",
    "rejected": "This situation was rejected: re-present it as a new situation if needed.",
    "withdrawn": "This situation was withdrawn: re-present it as a new situation if needed.",
}
_NOT_NOW = "This cannot be done with the situation as it stands now."


def step(command: str) -> Step:
    try:
        return STEPS[command]
    except KeyError:
        raise IllegalTransition("unknown command %(command)r", command=command) from None


def allows(command: str, stage: str) -> bool:
    return stage in step(command).sources


def check(command: str, stage: str) -> Step:
    """Return the step if `command` is legal from `stage`, else explain what to do instead."""
    s = step(command)
    if stage not in s.sources:
        raise IllegalTransition(_NEXT_HINT.get(stage, _NOT_NOW),
                                field="stage", command=command, stage=stage)
    return s


def target_of(command: str, stage: str) -> str:
    return check(command, stage).leads_to(stage)


def commands_from(stage: str) -> list[str]:
    return [c for c, s in STEPS.items() if stage in s.sources]


def is_open(stage: str) -> bool:
    return stage in OPEN_STAGES


def is_private(stage: str) -> bool:
    return stage in PRIVATE_STAGES


def is_new(stage: str) -> bool:
    return stage in NEW_STAGES


def is_followed_up(stage: str) -> bool:
    return stage in FOLLOW_STAGES


def label(stage: str) -> str:
    return LABELS.get(stage, stage)
