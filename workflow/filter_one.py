"""What filter 1 records: the de-identified facts an agency gives, checked against the taxonomy.

The commands that take these facts (draft, update_draft, submit) are in workflow/situations.py;
here is only what the facts are, how they are checked, and how they land on a situation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflow.errors import ValidationError
from workflow.models import Situation, SituationRiskFactor
from workflow.reference import load_catalog

SUMMARY_LIMIT = 1000


#: What filter 1's checklist asks, by field, as the instruction shown when it is unanswered.
CHECKLIST = {
    "options_exhausted": "Answer the checklist question: has your agency exhausted its own "
                         "options?",
    "needs_multiple_agencies": "Answer the checklist question: does it need more than one "
                               "agency?",
    "harm_probable_imminent": "Answer the checklist question: is harm probable and imminent?",
    "consent": "Record whether consent was sought, and the person's answer.",
}


@dataclass
class Filter1:
    """What the originating agency may say at filter 1: de-identified facts only."""

    situation_type: str
    age_group: str
    gender: str
    risk_factors: list[str]
    aer_reasons: list[str] = field(default_factory=list)
    summary: str = ""
    persons_count: int = 1
    options_exhausted: bool | None = None
    needs_multiple_agencies: bool | None = None
    harm_probable_imminent: bool | None = None
    consent: str | None = None
    help_source: str | None = None
    screening_answers: dict[str, bool] | None = None

    def validate(self) -> None:
        catalog = load_catalog()
        for kind, value, fld in (
            ("situation_types", self.situation_type, "situation_type"),
            ("age_groups", self.age_group, "age_group"),
            ("genders", self.gender, "gender"),
        ):
            if value not in catalog.codes(kind):
                raise ValidationError("unknown %(value)s %(value2)r", field=fld,
                                      value=fld.replace('_', ' '), value2=value)
        if self.consent is not None and self.consent not in catalog.codes("consent"):
            raise ValidationError("unknown consent answer %(consent)r", field="consent",
                                  consent=self.consent)
        if self.help_source is not None and self.help_source not in catalog.codes("help_sources"):
            raise ValidationError("unknown help source %(help_source)r",
                                  field="help_source", help_source=self.help_source)
        unknown = [f for f in self.risk_factors if f not in catalog.factors]
        if unknown:
            raise ValidationError("unknown risk factor(s): %(values)s",
                                  field="risk_factors", values=', '.join(unknown))
        if len(set(self.risk_factors)) != len(self.risk_factors):
            raise ValidationError("a risk factor is listed twice", field="risk_factors")
        stray = [f for f in self.aer_reasons if f not in self.risk_factors]
        if stray:
            raise ValidationError(
                "a reason for AER must be one of the chosen risk factors: %(values)s",
                field="aer_reasons", values=', '.join(stray),
            )
        if len(self.summary) > SUMMARY_LIMIT:
            raise ValidationError("the summary is limited to %(SUMMARY_LIMIT)s characters",
                                  field="summary", SUMMARY_LIMIT=SUMMARY_LIMIT)
        if not 1 <= self.persons_count <= 50:
            raise ValidationError("number of persons must be between 1 and 50",
                                  field="persons_count")

    def checklist_problems(self) -> list[tuple[str, str]]:
        """Filter 1's checklist must be answered in full before a situation goes to the table."""
        missing = [(name, CHECKLIST[name]) for name in CHECKLIST
                   if name != "consent" and getattr(self, name) is None]
        if self.consent is None:
            missing.append(("consent", CHECKLIST["consent"]))
        return missing

    def require_checklist(self) -> None:
        """Refuse with the first unanswered question, in the words a person can act on."""
        missing = self.checklist_problems()
        if missing:
            raise ValidationError(CHECKLIST[missing[0][0]], field=missing[0][0])


def apply_facts(situation: Situation, facts: Filter1) -> None:
    """Filter 1's facts onto a situation the ORM holds (a draft being edited): the same
    columns as `columns_of`, screening answers kept when none are given, factors in step."""
    catalog = load_catalog()
    for column, value in columns_of(facts).items():
        if facts.screening_answers is not None or not column.startswith("screening_"):
            setattr(situation, column, value)
    reasons = set(facts.aer_reasons)
    kept = {f.factor_code: f for f in situation.risk_factors if f.factor_code in facts.risk_factors}
    for row in [f for f in situation.risk_factors if f.factor_code not in kept]:
        situation.risk_factors.remove(row)
    for code in facts.risk_factors:
        factor = kept.get(code)
        if factor is None:
            factor = SituationRiskFactor(factor_code=code,
                                         category_code=catalog.category_of(code))
            situation.risk_factors.append(factor)
        factor.is_aer_reason = code in reasons


def facts_of(situation: Situation) -> Filter1:
    return Filter1(
        situation_type=situation.situation_type,
        age_group=situation.age_group,
        gender=situation.gender,
        risk_factors=[f.factor_code for f in situation.risk_factors],
        aer_reasons=[f.factor_code for f in situation.risk_factors if f.is_aer_reason],
        summary=situation.summary,
        persons_count=situation.persons_count,
        options_exhausted=situation.options_exhausted,
        needs_multiple_agencies=situation.needs_multiple_agencies,
        harm_probable_imminent=situation.harm_probable_imminent,
        consent=situation.consent,
        help_source=situation.help_source,
        screening_answers=situation.screening_answers,
    )


def columns_of(facts: Filter1) -> dict[str, Any]:
    """The situation's columns filter 1 sets (what `apply_facts` sets on an ORM
    object), for a new row."""
    screening = dict(facts.screening_answers) if facts.screening_answers is not None else None
    return {
        "situation_type": facts.situation_type, "age_group": facts.age_group,
        "gender": facts.gender, "summary": facts.summary.strip(),
        "persons_count": facts.persons_count, "options_exhausted": facts.options_exhausted,
        "needs_multiple_agencies": facts.needs_multiple_agencies,
        "harm_probable_imminent": facts.harm_probable_imminent, "consent": facts.consent,
        "help_source": facts.help_source, "taxonomy_version": load_catalog().version,
        "screening_answers": screening,
        "screening_score": (sum(1 for v in screening.values() if v) if screening is not None
                            else None),
    }


def factor_rows(situation_id: int, facts: Filter1) -> list[dict[str, Any]]:
    catalog, reasons = load_catalog(), set(facts.aer_reasons)
    return [{"situation_id": situation_id, "factor_code": code,
             "category_code": catalog.category_of(code), "is_aer_reason": code in reasons}
            for code in facts.risk_factors]
