"""The one place that answers "may user U do action A" for the evaluation workflow."""

from __future__ import annotations

from accounts.permissions import has_org_perm, is_bureau, is_bureau_reader
from accounts.roles import BureauRole, OrgPerm


def can_manage_catalogue(user) -> bool:
    return is_bureau(user, BureauRole.BUREAU_ADMIN)


def can_manage_filings(user) -> bool:
    return is_bureau(user, BureauRole.BUREAU_ADMIN)


def can_manage_templates(user) -> bool:
    return is_bureau(user, BureauRole.BUREAU_ADMIN)


def can_view_bureau_records(user) -> bool:
    return is_bureau_reader(user)


def can_manage_standards(user, organization) -> bool:
    return has_org_perm(user, OrgPerm.MANAGE_STANDARDS, organization)
