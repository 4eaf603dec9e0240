"""Optional, consent-based, self-identified equity data at filter 1.

Never required; only with the person's consent; recorded and read only by the presenting
agency; never shown per situation to anyone else; reported only in suppressed aggregates
(workflow/reports/equity.py). The dimensions are the Ontario Anti-Racism Data Standards'
race categories and, for Vietnamese tables, ethnic minority status.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow import audit, stages
from workflow.errors import PermissionDenied, ValidationError
from workflow.models import EquityAnswer, Situation, User, utcnow

#: dimension -> value -> (en, vi). "prefer_not" is an answer; no answer is no row.
DIMENSIONS: dict[str, dict[str, tuple[str, str]]] = {
    "race": {  # Ontario Anti-Racism Data Standards, Standard 16 categories
        "black": ("Black", "Người da đen"),
        "east_asian": ("East Asian", "Đông Á"),
        "indigenous": ("Indigenous", "Người bản địa"),
        "latino": ("Latino", "Người Mỹ Latinh"),
        "middle_eastern": ("Middle Eastern", "Trung Đông"),
        "south_asian": ("South Asian", "Nam Á"),
        "southeast_asian": ("Southeast Asian", "Đông Nam Á"),
        "white": ("White", "Người da trắng"),
        "another": ("Another race category", "Nhóm khác"),
        "prefer_not": ("Prefer not to answer", "Không muốn trả lời"),
    },
    "ethnic_minority": {  # Vietnamese tables
        "yes": ("Ethnic minority", "Dân tộc thiểu số"),
        "no": ("Not an ethnic minority", "Không phải dân tộc thiểu số"),
        "prefer_not": ("Prefer not to answer", "Không muốn trả lời"),
    },
}
DIMENSION_LABELS = {"race": ("Race (self-identified)", "Chủng tộc (tự xác định)"),
                    "ethnic_minority": ("Ethnic minority status (self-identified)",
                                        "Dân tộc thiểu số (tự xác định)")}


def label(dimension: str, value: str, lang: str = "en") -> str:
    en, vi = DIMENSIONS.get(dimension, {}).get(value, (value, value))
    return vi if lang == "vi" else en


def _presenting_agency_only(actor: User, situation: Situation) -> None:
    if actor.agency_id is None or actor.agency_id != situation.originating_agency_id:
        raise PermissionDenied("only the presenting agency records or reads equity answers")


def record(session: Session, actor: User, situation_id: int, answers: dict[str, str | None], *,
           consent: bool, now: datetime | None = None) -> list[EquityAnswer]:
    """Record the person's own answers (blank clears one); nothing without their consent."""
    now = now or utcnow()
    situation = session.get(Situation, situation_id)
    if situation is None:
        raise ValidationError("no situation %(situation_id)s", field="situation_id",
                              situation_id=situation_id)
    _presenting_agency_only(actor, situation)
    if not stages.is_open(situation.stage):
        raise ValidationError("equity answers are recorded while the situation is open",
                              field="stage")
    given = {k: v for k, v in answers.items() if v}
    if given and not consent:
        raise ValidationError("record equity answers only with the person's consent",
                              field="equity_consent")
    for dim, value in answers.items():
        if dim not in DIMENSIONS:
            raise ValidationError("unknown equity question %(dim)r", field=dim, dim=dim)
        if value and value not in DIMENSIONS[dim]:
            raise ValidationError("unknown answer %(value)r to %(dim)s", field=dim, value=value,
                                  dim=dim)
    rows = {r.dimension: r for r in session.scalars(select(EquityAnswer).where(
        EquityAnswer.situation_id == situation.id))}
    for dim, value in answers.items():
        row = rows.get(dim)
        if not value:
            if row is not None:
                session.delete(row)
            continue
        if row is None:
            row = EquityAnswer(situation_id=situation.id, dimension=dim, value=value)
            session.add(row)
        row.value, row.recorded_at = value, now
    # The report rolls the answers up per presented day: this makes the day dirty until the
    # next refresh (workflow/reports/rollup_measures.py), so the report stays exact.
    situation.updated_at = now
    audit.record(session, "situation.equity", actor=actor, situation_id=situation.id,
                 detail={"dimensions": sorted(given)}, now=now)  # which, never the answers
    session.flush()
    return mine(session, actor, situation_id)


def mine(session: Session, actor: User, situation_id: int) -> list[EquityAnswer]:
    """The presenting agency's own view of its answers (nobody else's)."""
    situation = session.get(Situation, situation_id)
    if situation is None:
        return []
    _presenting_agency_only(actor, situation)
    return list(session.scalars(select(EquityAnswer).where(
        EquityAnswer.situation_id == situation_id).order_by(EquityAnswer.dimension)))
