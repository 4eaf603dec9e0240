"""The stage graph of a situation, declared once: every other module asks it.

    draft --submit--> submitted --schedule--> on_agenda --present--> presented
    presented --accept--> accepted | --reject--> rejected          (filter 2)
    accepted --disclose--> disclosed                                (filter 3)
    disclosed --plan--> intervention                                (filter 4)
    intervention --report_back--> intervention --close--> closed
    any open stage --withdraw--> withdrawn
    closed | rejected | withdrawn --re_present--> a NEW draft linked to this one
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow.errors import IllegalTransition


@dataclass(frozen=True)
class Step:
    command: str
    sources: tuple[str, ...]
    target: str | None  # None: the command keeps the stage (report_back) or makes a new record
    filter: int | None = None


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

STEPS: dict[str, Step] = {
    s.command: s
    for s in (
        Step("submit", ("draft",), "submitted", 1),
        Step("schedule", ("submitted",), "on_agenda", 2),
        Step("present", ("on_agenda", "submitted"), "presented", 2),
        Step("accept", ("presented",), "accepted", 2),
        Step("reject", ("presented",), "rejected", 2),
        Step("disclose", ("accepted", "disclosed", "intervention"), "disclosed", 3),
        Step("plan", ("disclosed", "accepted"), "intervention", 4),
        Step("report_back", ("intervention",), None, 4),
        Step("close", ("intervention",), "closed"),
        Step("withdraw", OPEN_STAGES, "withdrawn"),
        Step("re_present", END_STAGES, None, 1),
    )
}

# What a person should do instead, by the stage the situation is in.
_NEXT_HINT = {
    "draft": "submit it first",
    "submitted": "put it on a meeting's agenda and present it first",
    "on_agenda": "present it at the meeting first",
    "presented": "the table must accept or reject it first",
    "accepted": "disclose it to the agencies the table named, then plan the intervention",
    "disclosed": "plan the intervention (lead agency and first contact) first",
    "intervention": "report back or close it",
    "closed": "it is closed; re-present it as a new situation if the risk returned",
    "rejected": "it was rejected; re-present it as a new situation if needed",
    "withdrawn": "it was withdrawn; re-present it as a new situation if needed",
}


def step(command: str) -> Step:
    try:
        return STEPS[command]
    except KeyError:
        raise IllegalTransition(f"unknown command {command!r}") from None


def check(command: str, stage: str) -> Step:
    """Return the step if `command` is legal from `stage`, else explain what to do instead."""
    s = step(command)
    if stage not in s.sources:
        raise IllegalTransition(
            f"cannot {command.replace('_', ' ')} a situation that is {stage.replace('_', ' ')}: "
            f"{_NEXT_HINT.get(stage, '')}",
            field="stage",
        )
    return s


def target_of(command: str, stage: str) -> str:
    s = check(command, stage)
    return s.target or stage


def commands_from(stage: str) -> list[str]:
    return [c for c, s in STEPS.items() if stage in s.sources]


def is_open(stage: str) -> bool:
    return stage in OPEN_STAGES
