from audit.models.chain import AppendOnlyError, AppendOnlyQuerySet, AuditEvent, ChainHead
from audit.models.checkpoints import AuditCheckpoint
from audit.models.risk import RiskFlag, RiskSettings, SubsidyRule

__all__ = [
    "AppendOnlyError",
    "AppendOnlyQuerySet",
    "AuditCheckpoint",
    "AuditEvent",
    "ChainHead",
    "RiskFlag",
    "RiskSettings",
    "SubsidyRule",
]
