"""Evaluation subsidies (奖补, domain.md §8): the bureau's rule per year, and the report computed
from the certificates issued that year.

The amounts are not public, so every number is data the bureau edits (``SubsidyRule``): an amount
per certificate for each level, an uplift for high levels in occupations on the local 急需紧缺
list (the province allows up to +30% for level 3 and above), and a cap per organisation per year
(Dongguan: up to 850,000 yuan).

What is paid for: certificates issued in the year (by 发证日期) that are **valid** now. Revoked
certificates are never paid for; suspended ones are left out until they are reinstated; a
corrected certificate counts once (its current version). The report says so and shows how many
were left out.

``compute_subsidies`` is the arithmetic alone, without the database, so it is tested on its own.

Split by job: ``arithmetic`` (no database), ``rules`` (the yearly rule), ``report``.
"""

from bureau.subsidies.arithmetic import (
    CENT,
    OrganizationSubsidy,
    RuleTerms,
    SubsidyGroup,
    SubsidyLine,
    compute_subsidies,
)
from bureau.subsidies.report import SubsidyReport, missing_rule_message, subsidy_notes, subsidy_report, subsidy_sheets
from bureau.subsidies.rules import (
    MAX_YEAR,
    MIN_YEAR,
    amounts_from_json,
    rule_terms,
    subsidy_rule_for,
    subsidy_rule_set,
    subsidy_rule_template,
    subsidy_rule_years,
)

__all__ = [
    "CENT",
    "MAX_YEAR",
    "MIN_YEAR",
    "OrganizationSubsidy",
    "RuleTerms",
    "SubsidyGroup",
    "SubsidyLine",
    "SubsidyReport",
    "amounts_from_json",
    "compute_subsidies",
    "missing_rule_message",
    "rule_terms",
    "subsidy_notes",
    "subsidy_report",
    "subsidy_rule_for",
    "subsidy_rule_set",
    "subsidy_rule_template",
    "subsidy_rule_years",
    "subsidy_sheets",
]
