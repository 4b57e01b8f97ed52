from certify.models.catalogue import Occupation, WorkType
from certify.models.certificates import (
    Certificate,
    ExportBatch,
    IssuanceBatch,
    NumberCounter,
    RevocationRequest,
    Seal,
)
from certify.models.filings import Filing, FilingScope
from certify.models.people import Enrolment, Person, PriorCertificate
from certify.models.plans import (
    AssessmentPlan,
    CalendarDay,
    PlanAssessor,
    PlanGroupObjectPermission,
    PlanUserObjectPermission,
    RecusalRelation,
    SupervisionReport,
)
from certify.models.scoring import Objection, Result, Score, ScoreDraft, ScoreFinalError
from certify.models.standards import PublishedStandardError, Standard, StandardLevel, StandardVersion

__all__ = [
    "AssessmentPlan",
    "CalendarDay",
    "Certificate",
    "Enrolment",
    "ExportBatch",
    "Filing",
    "FilingScope",
    "IssuanceBatch",
    "NumberCounter",
    "Objection",
    "Occupation",
    "Person",
    "PlanAssessor",
    "PlanGroupObjectPermission",
    "PlanUserObjectPermission",
    "PriorCertificate",
    "PublishedStandardError",
    "RecusalRelation",
    "Result",
    "RevocationRequest",
    "Score",
    "ScoreDraft",
    "ScoreFinalError",
    "Seal",
    "Standard",
    "StandardLevel",
    "StandardVersion",
    "SupervisionReport",
    "WorkType",
]
