"""The defaults domain.md marks [D], as configuration: ``SKILLCERT_<NAME>`` settings override them.

Standards copy these into their own rows when drafted, so a later change of a default never alters
a published standard.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

DEFAULTS: dict[str, object] = {
    "PASS_MARK": Decimal("60"),
    "MIN_PRACTICAL_ASSESSORS": 3,
    "CANDIDATES_PER_ASSESSOR": 5,
    "CANDIDATES_PER_INVIGILATOR": 15,
    "MIN_INVIGILATORS_PER_ROOM": 2,
    "MIN_REVIEW_PANEL": 3,
    "THEORY_MINUTES": 90,
    "PRACTICAL_MINUTES": 120,
    "REVIEW_SUBSCORES": [["个人素质", 30], ["工作业绩", 40], ["创新能力", 30]],
    "PLAN_LEAD_WORKING_DAYS": 5,
    "PUBLICITY_WORKING_DAYS": 5,
    "RENEWAL_WINDOW_MONTHS": 3,
    "RENEWAL_MIN_PLANS": 6,
}


def conf(name: str):
    return getattr(settings, f"SKILLCERT_{name}", DEFAULTS[name])


def default_pass_mark() -> Decimal:
    return Decimal(str(conf("PASS_MARK")))


def default_review_subscores() -> list[dict]:
    return [{"name": name, "weight": int(weight)} for name, weight in conf("REVIEW_SUBSCORES")]
