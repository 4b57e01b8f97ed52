"""申报条件 (eligibility) for 晋级 applications. Pure value objects and functions, no Django models.

Rules are data: each evaluation-standard version stores, per level, a ``RuleSet`` — a list of
``Condition`` alternatives (any one suffices, OR), each a conjunction of requirements (AND).
``Condition.to_dict``/``from_dict`` and the ``ruleset_*`` helpers give the JSON form kept in the
database and edited by HR; ``national_template`` returns the usual national template as such data
so a new standard version can start from it.

Decisions (domain.md §2 leaves them open):

- An empty rule set means nobody is eligible via 晋级; the result says so and points to 定级.
- A prior certificate of a better level (smaller digit) satisfies a lower ``prior_level``. Old
  职业资格证书 (``kind="qualification"``) count exactly like 职业技能等级证书. Certificates obtained
  after the exam date are not held on that date and are ignored. HR enters only certificates of the
  occupation or a related one (本职业或相关职业); this module does not judge relatedness.
- Among several qualifying certificates the one held longest is used, because that one satisfies
  a ``min_years_since_prior`` best.
- "Years since the certificate" stands for 取得证书后累计从事本职业工作 and is counted in calendar
  years from the date on the certificate to the exam date (``years_between``); gaps in employment
  are for HR to check.
- ``years_in_occupation`` is given by HR as a decimal; it is compared as given.
- The first condition that holds, in stored order, is the matched one. When none holds, the
  nearest is the one with the fewest unmet requirements, ties broken by the smallest shortfall in
  years, then by order. A requirement that time alone cannot meet (a certificate, a diploma, an
  apprenticeship) counts as a larger shortfall than any number of years, so a candidate 0.5 years
  short is pointed at that condition rather than at one asking for a diploma. A missing prior
  certificate counts as two unmet requirements when the condition also asks for years since it
  (both are missing).
"""

from lib.eligibility.evaluate import CandidateFacts, Eligibility, PriorCertificate, evaluate
from lib.eligibility.rules import (
    CertificateKind,
    Condition,
    Diploma,
    RuleSet,
    format_years,
    level_name,
    national_template,
    ruleset_from_data,
    ruleset_from_json,
    ruleset_to_data,
    ruleset_to_json,
    years_between,
)

__all__ = [
    "CandidateFacts",
    "CertificateKind",
    "Condition",
    "Diploma",
    "Eligibility",
    "PriorCertificate",
    "RuleSet",
    "evaluate",
    "format_years",
    "level_name",
    "national_template",
    "ruleset_from_data",
    "ruleset_from_json",
    "ruleset_to_data",
    "ruleset_to_json",
    "years_between",
]
