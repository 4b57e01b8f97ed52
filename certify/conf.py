"""Typed access to the domain defaults domain.md marks [D]. Each is a ``SKILLCERT_<NAME>`` setting
declared once, with its default, in ``config/settings.py``; nothing here has a default of its own.

Standards copy these into their own rows when drafted, so a later change of a default never alters
a published standard.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings


def conf(name: str) -> int:
    """The whole-number setting ``SKILLCERT_<name>`` (e.g. ``conf("PLAN_LEAD_WORKING_DAYS")``)."""
    return int(getattr(settings, f"SKILLCERT_{name}"))


def default_pass_mark() -> Decimal:
    return Decimal(str(settings.SKILLCERT_PASS_MARK))


def default_review_subscores() -> list[dict]:
    return [{"name": name, "weight": int(weight)} for name, weight in settings.SKILLCERT_REVIEW_SUBSCORES]
