"""Evaluation standards (评价规范): bureau templates, enterprise drafts, publishing and versions.

A published version never changes (service, form and admin all refuse; the model guards too);
a change is a new version, and plans keep the version they were filed with.

Split by job: ``rules`` (what a standard must be), ``drafting``, ``levels``, ``publishing``. Import
the services from here.
"""

from certify.services.standards.drafting import (
    standard_adopt,
    standard_draft_create,
    standard_draft_discard,
    standard_new_version,
    standard_template_create,
    standard_version_update,
)
from certify.services.standards.levels import standard_level_add, standard_level_remove, standard_level_update
from certify.services.standards.publishing import standard_publish, standard_retire
from certify.services.standards.rules import LEVEL_FIELDS, VERSION_FIELDS

__all__ = [
    "LEVEL_FIELDS",
    "VERSION_FIELDS",
    "standard_adopt",
    "standard_draft_create",
    "standard_draft_discard",
    "standard_level_add",
    "standard_level_remove",
    "standard_level_update",
    "standard_new_version",
    "standard_publish",
    "standard_retire",
    "standard_template_create",
    "standard_version_update",
]
