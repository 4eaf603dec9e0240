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

SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
AGENCY_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
FACTOR_CODE = re.compile(r"^([a-z][a-z0-9_]*)\.([a-z0-9][a-z0-9_]*)$")


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to `word` (for "did you mean" hints), or None."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str], *, listing: str = "") -> str:
    """A hint: "did you mean 'x'?" or, failing that, the list of valid values."""
    candidates = list(candidates)
    best = closest(word, candidates)
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
