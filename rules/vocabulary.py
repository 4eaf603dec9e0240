"""The codes a rule pack may name: stages, triggers, sectors, risk categories, audiences.

Kept here (not read from workflow/reference) because the rule engine is pure and must not
import the workflow core; the loader checks packs against these lists so that a typo is a
load error with a suggestion instead of a rule that silently never fires.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

STAGES: tuple[str, ...] = (
    "draft",
    "submitted",
    "on_agenda",
    "presented",
    "accepted",
    "rejected",
    "disclosed",
    "intervention",
    "closed",
    "withdrawn",
)

#: Commands: a rule on a command may refuse it (guard, evaluated before the command runs);
#: its other actions apply once the command has run.
COMMANDS: tuple[str, ...] = (
    "submit",
    "present",
    "accept",
    "reject",
    "disclose",
    "plan",
    "report_back",
    "close",
    "withdraw",
    "re_present",
)

TIMERS: tuple[str, ...] = (
    "timer:deadline_passed",
    "timer:due_soon",
    "timer:open_meetings",
    "timer:re_presentation",
)

#: Timers that concern one deadline kind (the rule says which with `deadline:`).
DEADLINE_TIMERS: tuple[str, ...] = ("timer:deadline_passed", "timer:due_soon")

ENTER_PREFIX = "enter:"

TRIGGERS: tuple[str, ...] = COMMANDS + tuple(ENTER_PREFIX + s for s in STAGES) + TIMERS

SECTORS: tuple[str, ...] = (
    "police",
    "child_protection",
    "education",
    "health",
    "mental_health",
    "housing",
    "social_services",
    "victim_services",
    "youth_services",
    "community",
    "justice",
    "womens_organisation",
    "local_government",
    "hotline",
)

RISK_CATEGORIES: tuple[str, ...] = (
    "alcohol",
    "drugs",
    "mental_health",
    "cognitive_functioning",
    "physical_health",
    "suicide",
    "self_harm",
    "criminal_involvement",
    "criminal_victimization",
    "antisocial_behaviour",
    "physical_violence",
    "emotional_violence",
    "sexual_violence",
    "elderly_abuse",
    "parenting",
    "supervision",
    "missing_runaway",
    "missing_school",
    "negative_peers",
    "gangs",
    "housing",
    "basic_needs",
    "poverty",
    "unemployment",
    "social_environment",
    "threat_public_safety",
    "gambling",
)

CONCLUSION_OUTCOMES: tuple[str, ...] = ("", "risk_lowered", "still_aer", "transferred")

#: Who a notification or an escalation goes to, besides "sector:<sector>" and "agency:<slug>".
AUDIENCES: tuple[str, ...] = ("lead", "assisting", "granted", "chair", "originating", "members")

#: Deadline kinds the workflow core knows; a pack may add its own by setting them.
KNOWN_DEADLINE_KINDS: tuple[str, ...] = (
    "first_contact",
    "emergency_protection",
    "support_plan",
    "report_back",
)

#: Event names a notify action may use without declaring them: the shipped packs' events, each
#: stage's "situation_<stage>", and "<deadline kind>_due_soon" / "_overdue". The name reaches
#: people (it is printed in the notification), so a near miss of one of these is refused as a
#: misspelling; a name far from all of them is the pack's own event and is accepted.
RULE_EVENTS: tuple[str, ...] = tuple(dict.fromkeys((
    "assisting_assigned",
    "child_at_risk_reported",
    "disclosure_granted",
    "high_risk_screening",
    "lead_assigned",
    *(f"situation_{stage}" for stage in STAGES),
    "situation_re_presented",
    *(f"{kind}_{when}" for kind in KNOWN_DEADLINE_KINDS for when in ("due_soon", "overdue")),
)))

#: How alike two names must be (difflib ratio) before a hint says "did you mean". Short codes
#: use the looser default; long names (facts, settings) the stricter one, below which the
#: suggestion is noise ('quorum_sectors' is not 'granted_sectors', ratio 0.62).
DEFAULT_CUTOFF = 0.6
NAME_CUTOFF = 0.75
#: A misspelt event is at most this many single-letter edits from a known one.
MAX_EVENT_TYPOS = 2

SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
AGENCY_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
FACTOR_CODE = re.compile(r"^([a-z][a-z0-9_]*)\.([a-z0-9][a-z0-9_]*)$")


def closest(word: str, candidates: Iterable[str], cutoff: float = DEFAULT_CUTOFF) -> str | None:
    """The candidate nearest to `word` (for "did you mean" hints), or None."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=cutoff)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str], *, listing: str = "",
                 cutoff: float = DEFAULT_CUTOFF) -> str:
    """A hint: "did you mean 'x'?" or, failing that, the list of valid values."""
    candidates = list(candidates)
    best = closest(word, candidates, cutoff)
    if best is not None:
        return f"did you mean {best!r}?"
    return listing or "valid values: " + ", ".join(c for c in candidates if c)


def audience_problem(audience: str) -> tuple[str, str] | None:
    """(message, hint) if `audience` is not a valid notify/escalate target, else None."""
    if audience in AUDIENCES:
        return None
    if audience.startswith("sector:"):
        sector = audience.removeprefix("sector:")
        if sector in SECTORS:
            return None
        return (
            f"unknown sector {sector!r} in audience {audience!r}",
            did_you_mean(sector, SECTORS),
        )
    if audience.startswith("agency:"):
        slug = audience.removeprefix("agency:")
        if AGENCY_SLUG.match(slug):
            return None
        return (
            f"bad agency slug {slug!r} in audience {audience!r}",
            "an agency slug is lower case letters, digits, '-' and '_', e.g. agency:city-police",
        )
    return (
        f"unknown audience {audience!r}",
        did_you_mean(
            audience,
            AUDIENCES,
            listing="use one of " + ", ".join(AUDIENCES) + ", sector:<sector> or agency:<slug>",
        ),
    )


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, swaps."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def event_problem(event: str) -> tuple[str, str] | None:
    """(message, hint) if `event` looks like a misspelling of a known event, else None."""
    if event in RULE_EVENTS or len(event) < 6:
        return None
    near = min(RULE_EVENTS, key=lambda known: (edit_distance(event, known), known))
    if edit_distance(event, near) > MAX_EVENT_TYPOS:
        return None
    return (f"unknown event {event!r} (a misspelling?)",
            f"did you mean {near!r}?")
