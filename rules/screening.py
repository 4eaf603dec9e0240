"""Score a pack's screening checklist (e.g. DASH-style yes/no questions).

The score is the number of "yes" answers; the workflow core stores the answers and passes the
score to rules as the fact `screening_score`. Answers are checked against the pack's question
ids so that a renamed question cannot silently lower a score.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rules.model import Screening
from rules.vocabulary import did_you_mean

_YES = frozenset({"yes", "y", "true", "1", "có"})
_NO = frozenset({"no", "n", "false", "0", "không", ""})


class ScreeningError(ValueError):
    """The answers do not fit the checklist; `errors` says each reason."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _answer(value: Any) -> bool | None:
    """True/False for a yes/no answer, None for "not answered"; raises ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _YES:
        return True
    if isinstance(value, str) and value.strip().lower() in _NO:
        return False
    raise ValueError(value)


def validate_answers(
    screening: Screening, answers: Mapping[str, Any], *, complete: bool = False
) -> list[str]:
    """Every problem with `answers`: unknown question ids, answers that are not yes/no.

    With `complete=True`, an unanswered question is a problem too.
    """
    if not isinstance(answers, Mapping):
        return [f"answers must be a mapping of question id to yes/no, got {type(answers).__name__}"]
    errors = []
    ids = screening.question_ids
    for qid, value in answers.items():
        if qid not in ids:
            errors.append(f"unknown question {qid!r}: {did_you_mean(str(qid), ids)}")
            continue
        try:
            _answer(value)
        except ValueError:
            errors.append(f"question {qid!r}: answer must be yes or no, got {value!r}")
    if complete:
        errors.extend(
            f"question {qid!r} not answered"
            for qid in ids
            if qid not in answers or answers[qid] is None
        )
    return errors


def score(screening: Screening, answers: Mapping[str, Any], *, complete: bool = False) -> int:
    """The number of "yes" answers. Raises ScreeningError if the answers do not fit."""
    errors = validate_answers(screening, answers, complete=complete)
    if errors:
        raise ScreeningError(errors)
    return sum(1 for value in answers.values() if _answer(value) is True)


def reaches_threshold(screening: Screening, value: int) -> bool:
    """True if a score of `value` reaches the checklist's threshold (e.g. 14 or more)."""
    return value >= screening.threshold
