from certify.models.catalogue import Occupation, WorkType
from certify.models.filings import Filing, FilingScope
from certify.models.standards import PublishedStandardError, Standard, StandardLevel, StandardVersion

__all__ = [
    "Filing",
    "FilingScope",
    "Occupation",
    "PublishedStandardError",
    "Standard",
    "StandardLevel",
    "StandardVersion",
    "WorkType",
]
