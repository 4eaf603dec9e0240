"""The two linkage commands: the originating agency's optional check at filter 1, and a
chair's request that another table's chair get in touch.

The typed name and birth date go into tokens and nowhere else: not the situation, not the
audit detail, not an error message (errors name the field, never the value).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from workflow import audit, stages
from workflow.access import require_chair
from workflow.errors import DomainError, PermissionDenied, ValidationError
from workflow.identity import check_birth_date
from workflow.linkage import match, tokens
from workflow.models import Situation, User
from workflow.outbox import emit

CHECK_STAGES = (stages.DRAFT, *stages.NEW_STAGES)


def check_at_filter1(session: Session, key: tokens.LinkageKeyRef, actor: User,
                     situation: Situation, name: str, birth_date: str, *,
                     now: datetime | None = None) -> bool:
    """Turn what the originating agency typed into tokens for this situation; False when
    the box was left empty. The typed text is dropped when this returns. Both a name and a
    birth date are needed: matching requires the birth dates to agree (evidence.py)."""
    name, birth_date = (name or "").strip(), (birth_date or "").strip()
    if not name and not birth_date:
        return False
    if actor.agency_id is None or actor.agency_id != situation.originating_agency_id:
        raise PermissionDenied("only the originating agency may check for earlier discussions")
    if situation.stage not in CHECK_STAGES:
        raise DomainError("the check for earlier discussions belongs to filter 1",
                          field="check_name")
    if not name:
        raise ValidationError("give a name to check for earlier discussions",
                              field="check_name")
    if len(name) > 200:
        raise ValidationError("the name to check is too long", field="check_name")
    if not birth_date:
        raise ValidationError("give the birth date too: a name alone cannot tell two people "
                              "apart", field="check_birth_date")
    try:
        born = date.fromisoformat(birth_date)
    except ValueError:
        raise ValidationError("the birth date to check is not a date (use YYYY-MM-DD)",
                              field="check_birth_date") from None
    if born > date.today():
        raise ValidationError("the birth date to check is in the future",
                              field="check_birth_date")
    check_birth_date(born, "check_birth_date")
    persons = tokens.replace_tokens(session, key, situation, "filter1",
                                    tokens.encode_persons(key, [(name, born)]))
    audit.record(session, "linkage.check", actor=actor, situation_id=situation.id,
                 detail={"persons": persons}, now=now)
    return True


def request_contact(session: Session, actor: User, situation: Situation, *,
                    now: datetime | None = None) -> int:
    """Ask the chairs of the region's other tables that likely discussed this person to get
    in touch with this table's chair; the message carries no identity. Returns how many
    tables were asked."""
    require_chair(session, actor, situation.table_id)
    region = match.same_region_table_ids(session, situation.table)
    latest: dict[int, Situation] = {}
    for other in match.matched_situations(session, situation):
        if other.table_id in region and other.table_id not in latest:
            latest[other.table_id] = other
    if not latest:
        raise DomainError("no other table in the region is likely to have discussed this "
                          "person")
    for table_id, other in sorted(latest.items()):
        emit(session, "linkage.contact_requested", table_id=table_id, situation=other,
             to_chairs=True, extra={"requesting_table": situation.table.code})
    audit.record(session, "linkage.contact_requested", actor=actor, situation_id=situation.id,
                 detail={"tables": len(latest)}, now=now)
    return len(latest)
