"""SQLAlchemy 2 typed models, one module per aggregate; import them all from here."""

from workflow.models.audit import AuditChainHead, AuditEntry
from workflow.models.base import Base, utcnow
from workflow.models.directory import Agency, Table, TableMembership
from workflow.models.equity import EquityAnswer
from workflow.models.identity import IdentityRecord
from workflow.models.keystore import KeystoreBase, LinkageKey, SituationKey
from workflow.models.linkage import LinkageToken
from workflow.models.meeting import AgendaItem, Attendance, Meeting
from workflow.models.notification import Delivery, InboxItem, NotificationPreference
from workflow.models.operations import FlowRunRecord, StoredReport
from workflow.models.outbox import OutboxEvent
from workflow.models.reference import ReferenceCode, TaxonomyVersion
from workflow.models.rollups import (
    ReportDurationRollup,
    ReportDurationRollupMonth,
    ReportRollup,
    ReportRollupMonth,
    ReportRollupState,
)
from workflow.models.round import DecisionRound, FollowUp, RoundAnswer, RoundItem
from workflow.models.rules import Deadline, Flag, RuleFiring, RulePackRecord
from workflow.models.situation import (
    STAGES,
    DisclosureGrant,
    Involvement,
    ReportBack,
    Situation,
    SituationFormToken,
    SituationProtectiveFactor,
    SituationRiskFactor,
    SituationService,
    Task,
    Transition,
)
from workflow.models.user import ROLES, ApiToken, User, UserTableScope
from workflow.models.versions import DataVersionShard

__all__ = [
    "ROLES",
    "STAGES",
    "Agency",
    "AgendaItem",
    "ApiToken",
    "Attendance",
    "AuditChainHead",
    "AuditEntry",
    "Base",
    "Deadline",
    "DecisionRound",
    "Delivery",
    "DisclosureGrant",
    "EquityAnswer",
    "Flag",
    "FlowRunRecord",
    "FollowUp",
    "IdentityRecord",
    "InboxItem",
    "Involvement",
    "KeystoreBase",
    "LinkageKey",
    "LinkageToken",
    "Meeting",
    "NotificationPreference",
    "OutboxEvent",
    "ReferenceCode",
    "ReportDurationRollup",
    "ReportDurationRollupMonth",
    "ReportRollup",
    "ReportRollupMonth",
    "ReportRollupState",
    "ReportBack",
    "RoundAnswer",
    "RoundItem",
    "RuleFiring",
    "RulePackRecord",
    "Situation",
    "SituationFormToken",
    "SituationKey",
    "SituationProtectiveFactor",
    "SituationRiskFactor",
    "SituationService",
    "StoredReport",
    "Table",
    "TableMembership",
    "Task",
    "TaxonomyVersion",
    "Transition",
    "User",
    "UserTableScope",
    "DataVersionShard",
    "utcnow",
]
