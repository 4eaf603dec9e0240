"""The words several report figures share (column names, decision and outcome labels), said
once so that a figure and its neighbour name the same thing the same way."""

from __future__ import annotations

from workflow.reports.phrase import Phrase

DECISION_LABELS = {"accepted": Phrase("Accepted as AER"), "rejected": Phrase("Rejected"),
                   "undecided": Phrase("Not decided or withdrawn")}
OUTCOME_LABELS = {"risk_lowered": Phrase("Risk lowered"), "still_aer": Phrase("Still AER"),
                  "transferred": Phrase("Transferred")}
SITUATIONS = Phrase("Situations")
PRESENTED = Phrase("Presented")
SECTOR = Phrase("Sector")


def percent(value: float) -> Phrase:
    """A share's text, "39.7%": a Phrase, so that the page writes its number in the reader's
    locale ("39,7%" in Vietnamese) while the exports keep this English."""
    return Phrase("%(percent)s%%", percent=value)
