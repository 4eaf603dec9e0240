"""The sustained share beside the closure outcome: of the situations closed with risk lowered
in the period, how many stayed lowered when the lead agency was asked (workflow/follow_up.py).

sustained = "yes" answers / answers that say something ("yes", "no", "re_presented");
"not known" and unanswered ones are counted, not divided by. Suppressed like every figure.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from workflow.follow_up import risk_lowered_codes
from workflow.models import FollowUp
from workflow.reports.figures import FigureBuilder
from workflow.reports.indicators import SUPPRESSED, share_cell
from workflow.reports.model import Cell, FigureSpec, Indicator
from workflow.reports.phrase import Phrase
from workflow.reports.sql import S
from workflow.reports.words import SITUATIONS

ANSWERS = (("yes", Phrase("Stayed lowered")), ("no", Phrase("Did not stay lowered")),
           ("re_presented", Phrase("Re-presented")), ("not_known", Phrase("Not known")),
           ("pending", Phrase("Not answered yet")))
TOTAL = ("follow_up", "total")
LOWERED = ("outcome", "risk_lowered")
SAID = ("yes", "no", "re_presented")
#: Asked and not answered yet, or not asked yet.
PENDING = "pending"


@dataclass
class Sustained:
    """The sustained share, judged once suppression is solved: hidden if a count it rests on
    is hidden, or if it would reveal a small count."""

    target: float | None

    def indicator(self, values: Mapping[Hashable, int], hidden: Mapping[Hashable, str],
                  threshold: int) -> Indicator:
        keys = [("follow_up", c) for c in SAID]
        said = sum(values.get(k, 0) for k in keys)
        if said and any(k in hidden for k in keys):
            share = Cell(None, SUPPRESSED)
        else:
            share = share_cell(values.get(("follow_up", "yes"), 0), said, threshold)
        met = None if self.target is None or share.value is None else share.value >= self.target
        return Indicator(key="risk_sustained",
                         title=Phrase("Closed with risk lowered, and it stayed lowered"),
                         share=share, target=self.target, met=met)


def answers(session: Session, closed: ColumnElement[bool]) -> dict[str, int]:
    """{answer or PENDING: situations} over the `closed` cohort's closures with risk lowered."""
    lowered = closed & S.conclusion_reason.in_(risk_lowered_codes())
    answer = func.coalesce(FollowUp.answer, PENDING)
    return {a: int(n) for a, n in session.execute(
        select(answer, func.count()).select_from(S)
        .outerjoin(FollowUp, FollowUp.situation_id == S.id).where(lowered)
        .group_by(answer)).tuples()}


def build(fb: FigureBuilder) -> tuple[list[FigureSpec], list[Sustained]]:
    # From the rollups (plus the dirty days live) when the report has them.
    found = (fb.counts.follow_up if fb.counts is not None
             else answers(fb.session, fb.cohorts.closed))
    for code, _ in ANSWERS:
        fb.put(("follow_up", code), int(found.get(code, 0)))
    # The total is the outcomes figure's "risk lowered" cell (one cell, hidden alike: else
    # the closed total less it would give back a hidden "still AER").
    total = sum(int(v) for v in found.values())
    total_key = LOWERED if fb.problem.values.get(LOWERED) == total else TOTAL
    fb.put(total_key, total)
    fb.problem.relate([("follow_up", c) for c, _ in ANSWERS], total_key)
    target = fb.scope.targets.get("risk_sustained")
    pending = Sustained(target)
    spec = FigureSpec(
        key="follow_up", title=Phrase("Follow-up after closure with risk lowered"),
        row_title=Phrase("Answer"), columns=[("count", SITUATIONS)],
        rows=[(code, label, [("follow_up", code)]) for code, label in ANSWERS],
        total_row=[total_key], chart="none")
    return [spec], [pending]
