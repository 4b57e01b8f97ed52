"""The one place that answers "may user U do action A" for the evaluation workflow."""

from __future__ import annotations

from accounts.permissions import has_object_perm, has_org_perm, is_bureau, is_bureau_reader
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


def can_manage_plans(user, organization) -> bool:
    return has_org_perm(user, OrgPerm.MANAGE_PLANS, organization)


def can_register_candidates(user, organization) -> bool:
    return has_org_perm(user, OrgPerm.REGISTER_CANDIDATES, organization)


def can_approve_exceptions(user, organization) -> bool:
    return has_org_perm(user, OrgPerm.APPROVE_EXCEPTIONS, organization)


def can_approve_results(user, organization) -> bool:
    return has_org_perm(user, OrgPerm.APPROVE_RESULTS, organization)


def can_score_plan(user, plan) -> bool:
    """An assessor of the organisation who was assigned to this plan (guardian grant on the plan)."""
    return has_org_perm(user, OrgPerm.ENTER_SCORES, plan.organization) and has_object_perm(
        user, "certify.score_plan", plan
    )


def can_assign_supervisors(user) -> bool:
    return is_bureau(user, BureauRole.BUREAU_ADMIN)


def is_plan_supervisor(user, plan) -> bool:
    return (
        bool(plan.supervisor_id)
        and plan.supervisor_id == getattr(user, "pk", None)
        and is_bureau(user, BureauRole.SUPERVISOR)
    )


def can_issue(user, organization) -> bool:
    return has_org_perm(user, OrgPerm.ISSUE_CERTIFICATES, organization)


# --- the same questions asked of one plan, as the plan actions table (certify.actions) asks them ---
def can_manage_plan(user, plan) -> bool:
    return can_manage_plans(user, plan.organization)


def can_register_in_plan(user, plan) -> bool:
    return can_register_candidates(user, plan.organization)


def can_decide_direct_grading(user, plan) -> bool:
    return can_approve_exceptions(user, plan.organization)


def can_approve_plan_results(user, plan) -> bool:
    return can_approve_results(user, plan.organization)


def can_assign_plan_supervisor(user, plan) -> bool:
    return can_assign_supervisors(user)


def can_issue_for_plan(user, plan) -> bool:
    return can_issue(user, plan.organization)
