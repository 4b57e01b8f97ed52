"""Excel imports of a plan: the roster (报名名册, ``roster``) and an assessor's score sheet
(成绩表, ``scores``), each all or nothing, sharing ``common``. Province-supplied certificate
numbers are imported by ``certify.services.supplied_numbers``."""

from certify.services.imports.roster import RosterImportResult, roster_columns, roster_import, roster_template
from certify.services.imports.scores import ScoresImportResult, score_columns, scores_import, scores_template

__all__ = [
    "RosterImportResult",
    "ScoresImportResult",
    "roster_columns",
    "roster_import",
    "roster_template",
    "score_columns",
    "scores_import",
    "scores_template",
]
