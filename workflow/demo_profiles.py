"""Who a demo table tends to see and how its decisions tend to go: the profiles the demo's
history (workflow/demo_history.py) draws past situations from. Weights, not rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

Weights = dict[str, float]


@dataclass(frozen=True)
class Profile:
    """Who a table tends to see and how its decisions tend to go (weights, not rules)."""

    age_groups: Weights
    genders: Weights
    help_sources: Weights
    categories: Sequence[str]  # risk categories seen most often
    services: Sequence[str]
    rejection_reasons: Weights = field(default_factory=lambda: {
        "single_agency": 5, "not_aer": 4, "already_handled": 2, "information_only": 1})
    conclusions: Weights = field(default_factory=lambda: {
        "lowered_connected": 8, "lowered_informed": 3, "lowered_other": 1,
        "still_aer_refused": 2, "still_aer_unable_to_locate": 1, "still_aer_other": 1,
        "transferred": 2})
    situation_types: Weights = field(default_factory=lambda: {
        "person": 6, "family": 3, "dwelling": 1, "neighbourhood": 0.3})
    accept_share: float = 0.76
    # presented, then withdrawn before the table decided: it happens in bursts (a holiday
    # month's deferrals), so most months have none and the others several
    undecided_share: float = 0.16
    undecided_months: tuple[int, ...] = (1, 4, 7, 10)
    first_contact_hours: float = 48.0  # the deadline after acceptance
    re_presented_share: float = 0.06
    summary: str = "De-identified: several risks rising together; own options exhausted."


ONTARIO = Profile(
    age_groups={"12-15": 2, "16-17": 3, "18-24": 6, "25-29": 5, "30-39": 6, "40-59": 6,
                "60+": 3},
    genders={"male": 11, "female": 8, "other": 0.4, "unknown": 0.6},
    help_sources={"police": 5, "agency_referral": 6, "self": 1, "other": 1},
    categories=("mental_health", "drugs", "alcohol", "criminal_involvement", "housing",
                "physical_violence", "basic_needs", "unemployment", "suicide"),
    services=("counselling", "mental_health", "housing", "addiction", "income_support",
              "police_follow_up", "medical_care"),
)

VIETNAM = Profile(
    age_groups={"0-5": 2, "6-11": 5, "12-15": 6, "16-17": 3, "18-24": 3, "25-29": 3,
                "30-39": 4, "40-59": 2},
    genders={"female": 14, "male": 6, "unknown": 0.5},
    help_sources={"hotline_111": 6, "hotline_18008065": 3, "police": 3, "self": 2,
                  "agency_referral": 3},
    categories=("physical_violence", "emotional_violence", "sexual_violence", "parenting",
                "supervision", "missing_school", "poverty", "alcohol"),
    services=("child_protection", "shelter", "counselling", "legal_aid", "medical_care",
              "victim_services", "education_support"),
    rejection_reasons={"single_agency": 4, "already_handled": 3, "not_aer": 3,
                       "information_only": 1},
    first_contact_hours=24.0,  # children at risk: help within hours, a day at most
    summary="Đã khử định danh: nhiều nguy cơ cùng tăng; gia đình đã hết cách tự xoay xở.",
)
