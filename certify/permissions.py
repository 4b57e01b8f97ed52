"""The one place that answers "may user U do action A" for the evaluation workflow."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

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


# --- certificates after issue and the provincial upload; refusals said once --------------------
def can_change_certificates(user, organization) -> bool:
    """Operators and org admins of the issuing organisation; the bureau admin too (bureau service)."""
    return has_org_perm(user, OrgPerm.REVOKE_CERTIFICATES, organization) or is_bureau(user, BureauRole.BUREAU_ADMIN)


def can_decide_revocations(user, organization) -> bool:
    """Approving an organisation's revocation request: its 定级 approvers (reviewers, the org admin)."""
    return can_approve_exceptions(user, organization)


def can_edit_standard(user, standard) -> bool:
    """A bureau template: the bureau admin; an enterprise standard: its organisation's standards role."""
    if standard.is_template:
        return can_manage_templates(user)
    return can_manage_standards(user, standard.organization)


def can_upload_seal(user, organization) -> bool:
    """The organisation's admins: the seal is printed on every certificate it issues."""
    return has_org_perm(user, OrgPerm.MANAGE_MEMBERS, organization)


def can_export(user, organization) -> bool:
    """Full ID numbers leave the system: only roles holding EXPORT_DATA."""
    return has_org_perm(user, OrgPerm.EXPORT_DATA, organization)


# Refusals said in both a service and a view (or several views), written once.
ISSUE_REFUSED = gettext_lazy("您没有核发本机构证书的权限")
CHANGE_CERTIFICATES_REFUSED = gettext_lazy("您没有变更本机构证书的权限")
CHANGE_STATUS_REFUSED = gettext_lazy("您没有变更本机构证书状态的权限")
CORRECT_REFUSED = gettext_lazy("您没有更正本机构证书的权限")
UPLOAD_RESULTS_REFUSED = gettext_lazy("您没有登记本机构上报结果的权限")
STANDARDS_REFUSED = gettext_lazy("您没有维护本机构评价规范的权限")
STANDARD_EDIT_REFUSED = gettext_lazy("您没有修改该评价规范的权限")
TEMPLATES_REFUSED = gettext_lazy("只有人社局管理员可以维护评价规范模板")
CATALOGUE_REFUSED = gettext_lazy("只有人社局管理员可以导入职业目录")
SHORTAGE_REFUSED = gettext_lazy("只有人社局管理员可以维护急需紧缺职业")
CALENDAR_REFUSED = gettext_lazy("只有人社局管理员可以维护节假日安排")
FILINGS_REFUSED = gettext_lazy("只有人社局管理员可以登记备案")
SEAL_REFUSED = gettext_lazy("只有机构管理员可以上传印章")
TEMPLATES_PUBLISH_REFUSED = gettext_lazy("只有人社局管理员可以发布评价规范模板")
REVOCATION_DECIDE_REFUSED = gettext_lazy("只有审核人或机构管理员可以审批撤销申请")
