"""The report's rollups beyond the grouped counts of rollups.py: the timeliness histograms
(balance.py), the self-identified equity answers (equity.py) and the follow-up answers
(follow_up.py), built beside the counts and read back by rollup_reads.py; `live_measures`
groups the same for the dirty days, with the very queries the raw report uses.

Why: grouped live, these were most of a full report's time (five scans of every situation in
the period, where the rest costs one count(*)). Kinds of rows, per table and day:
- "e:<dimension>" (presented day): value = the answer, sub = the decision. Situations without
  an answer have no row: the report takes them as the presented (accepted) cohort less those
  who answered, which is what the raw outer join counts;
- "u:answer" (closed day, closed cohort): value = the follow-up answer or "pending" (asked
  and unanswered, or not asked), sub = the conclusion reason (the report keeps those of risk
  lowered, read from the catalog when it reads, as for the closed cohort);
- durations "decision_us" (presented cohort) and "contact_us" (accepted cohort), presented
  day: whole microseconds from submission to decision and from acceptance to first contact
  (exact in a double up to 285 years), so the medians and shares within a target are exact.

An equity answer or a follow-up answer stamps its situation's updated_at (workflow/equity.py,
workflow/follow_up.py), which makes its days dirty until the next refresh.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, insert, literal, select
from sqlalchemy.orm import Session

from workflow.models import EquityAnswer, FollowUp
from workflow.reports.counts import Counts
from workflow.reports.durations import micros_between, micros_histogram
from workflow.reports.equity import answered
from workflow.reports.follow_up import PENDING, answers
from workflow.reports.rollup_days import D, Days, R, day_of, in_days
from workflow.reports.sql import Cohorts, S, decision

COUNT_COLUMNS = ["table_id", "day", "kind", "value", "sub", "n", "helped", "contacted",
                 "on_time"]
#: measure -> (later, earlier, accepted cohort only)
TIMELINESS = {"decision_us": (S.decided_at, S.submitted_at, False),
              "contact_us": (S.first_contact_at, S.accepted_at, True)}


def _counts(*columns: Any) -> list[Any]:
    """The select list of a counts row with no indicator measures."""
    return [*columns, func.count(), literal(0), literal(0), literal(0)]


def _equity(session: Session, days: Days | None) -> Select[Any]:
    day = day_of(session, S.presented_at)
    ea = EquityAnswer
    return (select(*_counts(S.table_id, day, literal("e:") + ea.dimension, ea.value,
                            decision()))
            .select_from(S).join(ea, ea.situation_id == S.id)
            .where(in_days(session, S.presented_at, days))
            .group_by(S.table_id, day, ea.dimension, ea.value, decision()))


def _follow_up(session: Session, days: Days | None) -> Select[Any]:
    day = day_of(session, S.closed_at)
    answer = func.coalesce(FollowUp.answer, PENDING)
    return (select(*_counts(S.table_id, day, literal("u:answer"), answer, S.conclusion_reason))
            .select_from(S).outerjoin(FollowUp, FollowUp.situation_id == S.id)
            .where(in_days(session, S.closed_at, days), S.stage == "closed",
                   S.conclusion_reason.is_not(None))
            .group_by(S.table_id, day, answer, S.conclusion_reason))


def _timeliness(session: Session, days: Days | None, measure: str) -> Select[Any]:
    later, earlier, accepted_only = TIMELINESS[measure]
    day = day_of(session, S.presented_at)
    micros = micros_between(session, later, earlier)
    where: list[ColumnElement[bool]] = [in_days(session, S.presented_at, days),
                                        later.is_not(None), earlier.is_not(None)]
    if accepted_only:
        where.append(S.accepted_at.is_not(None))
    return (select(S.table_id, day, literal(measure), micros, func.count())
            .where(*where).group_by(S.table_id, day, micros))


def build_measures(session: Session, days: Days | None) -> None:
    """Insert these kinds' rows of `days` (None: all days), which must hold none yet."""
    for query in (_equity(session, days), _follow_up(session, days)):
        session.execute(insert(R).from_select(COUNT_COLUMNS, query))
    for measure in TIMELINESS:
        session.execute(insert(D).from_select(["table_id", "day", "measure", "duration", "n"],
                                              _timeliness(session, days, measure)))


def live_measures(session: Session, cohorts: Cohorts) -> Counts:
    """These measures over `cohorts` (the dirty days'), grouped from the situations."""
    def micros(measure: str) -> dict[int, int]:
        later, earlier, accepted_only = TIMELINESS[measure]
        return micros_histogram(session, later, earlier,
                                cohorts.accepted if accepted_only else cohorts.presented)

    return Counts(decision_us=micros("decision_us"), contact_us=micros("contact_us"),
                  equity=answered(session, cohorts.presented),
                  follow_up=answers(session, cohorts.closed))
