"""The legal basis of a disclosure: every grant at filter 3 names one, or is refused.

Why a module: privacy reviews of tables found most disclosures carried no recorded consent or
authority. The bases are data in the table's rule pack (consent, or provisions of law with en +
vi labels); this module answers which bases a table has and whether one fits a situation.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from rules.model import Label, LegalBasis
from workflow import rulebook
from workflow.errors import ValidationError
from workflow.models import Situation, Table
from workflow.rulebook.packs import installed_packs

#: A pack that names no bases still lets a table disclose with the person's consent.
CONSENT_ONLY = (LegalBasis(
    code="consent", kind="consent",
    label=Label(en="The person's consent (recorded at filter 1)",
                vi="Sự đồng ý của người liên quan (đã ghi nhận ở bộ lọc 1)")),)
#: What grants made before bases were recorded carry.
UNRECORDED = "unrecorded"
UNRECORDED_LABEL = Label(en="Not recorded (granted before legal bases were recorded)",
                         vi="Không ghi nhận (cấp trước khi có ghi nhận căn cứ pháp lý)")
CONSENT_GIVEN = "given"


def bases_of(session: Session, table: Table) -> tuple[LegalBasis, ...]:
    return rulebook.pack_for(session, table).legal_bases or CONSENT_ONLY


def label_of(session: Session, table: Table, code: str, language: str = "en") -> str:
    """The basis's label in `language`: from the table's pack, else from an earlier pack
    version (a grant keeps its code when a later version drops or renames the basis: the
    minutes and the reader still say what it was), else the code itself."""
    if code == UNRECORDED:
        return UNRECORDED_LABEL.get(language)
    for basis in bases_of(session, table):
        if basis.code == code:
            return basis.label.get(language)
    packs = installed_packs(session)
    packs.sort(key=lambda p: p.name != table.rule_pack_name)  # the table's own pack first
    for pack in packs:
        for basis in pack.legal_bases:
            if basis.code == code:
                return basis.label.get(language)
    return code


def check(session: Session, situation: Situation, code: str | None) -> LegalBasis:
    """The basis named for this situation's disclosure, or a refusal saying what to choose."""
    bases = bases_of(session, situation.table)
    if not code:
        raise ValidationError(
            "record the legal basis of this disclosure: the person's consent, or the authority "
            "(from the table's rule pack) under which the table shares identity",
            field="legal_basis")
    for basis in bases:
        if basis.code == code:
            if basis.kind == "consent" and situation.consent != CONSENT_GIVEN:
                raise ValidationError(
                    "consent was not recorded as given at filter 1: choose the authority under "
                    "which the table discloses, or record the consent first",
                    field="legal_basis")
            return basis
    raise ValidationError(
        "unknown legal basis %(code)r: choose one of %(values)s", field="legal_basis", code=code,
        values=', '.join(b.code for b in bases))


def suggested(session: Session, situation: Situation) -> str | None:
    """Consent where it was given at filter 1, else the pack's first authority (a default the
    chair confirms or changes, never a silent choice)."""
    bases = bases_of(session, situation.table)
    if situation.consent == CONSENT_GIVEN:
        return next((b.code for b in bases if b.kind == "consent"), None)
    return next((b.code for b in bases if b.kind == "authority"), None)


def of_agency(situation: Situation, agency_id: int | None) -> str | None:
    """The basis on which this agency was granted the situation's identity."""
    for grant in situation.grants:
        if grant.agency_id == agency_id and grant.revoked_at is None:
            return grant.legal_basis
    return None
