"""Roles and the permissions each carries. Permission codenames live here and nowhere else."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A member's role inside one organisation."""

    ORG_ADMIN = "org_admin", _("机构管理员")
    OPERATOR = "operator", _("经办人")
    ASSESSOR = "assessor", _("考评员")
    REVIEWER = "reviewer", _("审核人")
    VIEWER = "viewer", _("查阅人")


class BureauRole(models.TextChoices):
    """Global roles of the bureau, held as auth groups."""

    BUREAU_ADMIN = "bureau_admin", _("人社局管理员")
    BUREAU_AUDITOR = "bureau_auditor", _("人社局审计员")
    SUPERVISOR = "supervisor", _("质量督导员")


class OrgPerm(models.TextChoices):
    """Object permissions on an ``Organization``, granted through django-guardian."""

    VIEW = "view_org_records", _("查看本机构记录")
    MANAGE_MEMBERS = "manage_members", _("管理成员")
    MANAGE_STANDARDS = "manage_standards", _("管理评价规范")
    MANAGE_PLANS = "manage_plans", _("管理评价计划")
    REGISTER_CANDIDATES = "register_candidates", _("报名登记")
    APPROVE_EXCEPTIONS = "approve_exceptions", _("审批定级申报")
    ENTER_SCORES = "enter_scores", _("录入成绩")
    APPROVE_RESULTS = "approve_results", _("审核评价结果")
    ISSUE_CERTIFICATES = "issue_certificates", _("核发证书")
    REVOKE_CERTIFICATES = "revoke_certificates", _("撤销与变更证书")
    VIEW_PERSONAL_DATA = "view_personal_data", _("查看完整个人信息")
    EXPORT_DATA = "export_data", _("导出数据")


# Read-only permissions stay available while the organisation is suspended.
READ_PERMS = frozenset({OrgPerm.VIEW, OrgPerm.VIEW_PERSONAL_DATA, OrgPerm.EXPORT_DATA})

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    # Scoring needs an assignment to the plan, so no role scores by default, not even org_admin.
    Role.ORG_ADMIN: frozenset(p for p in OrgPerm if p != OrgPerm.ENTER_SCORES),
    Role.OPERATOR: frozenset(
        {
            OrgPerm.VIEW,
            OrgPerm.MANAGE_STANDARDS,
            OrgPerm.MANAGE_PLANS,
            OrgPerm.REGISTER_CANDIDATES,
            OrgPerm.ISSUE_CERTIFICATES,
            OrgPerm.REVOKE_CERTIFICATES,
            OrgPerm.VIEW_PERSONAL_DATA,
            OrgPerm.EXPORT_DATA,
        }
    ),
    Role.ASSESSOR: frozenset({OrgPerm.VIEW, OrgPerm.ENTER_SCORES}),
    Role.REVIEWER: frozenset(
        {OrgPerm.VIEW, OrgPerm.APPROVE_RESULTS, OrgPerm.APPROVE_EXCEPTIONS, OrgPerm.VIEW_PERSONAL_DATA}
    ),
    Role.VIEWER: frozenset({OrgPerm.VIEW}),
}
