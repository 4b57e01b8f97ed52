"""Who may do what on the bureau's pages. Bureau roles are global (auth groups)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from accounts.permissions import is_bureau, is_bureau_reader
from accounts.roles import BureauRole


def can_view_risk(user) -> bool:
    return is_bureau_reader(user)


def can_handle_risk(user) -> bool:
    """Edit thresholds, run a scan, acknowledge and resolve flags: the bureau admin only."""
    return is_bureau(user, BureauRole.BUREAU_ADMIN)


def can_edit_subsidy_rules(user) -> bool:
    return is_bureau(user, BureauRole.BUREAU_ADMIN)


def can_start_chain_check(user) -> bool:
    """The 立即完整校验 button: the bureau admin only (auditors read the result)."""
    return is_bureau(user, BureauRole.BUREAU_ADMIN)


def can_download_checkpoints(user) -> bool:
    """The bureau's admins and auditors (the bureau readers), nobody else."""
    return is_bureau_reader(user)


# Refusals said in both a service and a view, written once.
RISK_HANDLING_REFUSED = gettext_lazy("只有人社局管理员可以处理风险提示")
RISK_SETTINGS_REFUSED = gettext_lazy("只有人社局管理员可以修改风险规则阈值")
SUBSIDY_RULES_REFUSED = gettext_lazy("只有人社局管理员可以修改补贴标准")
SUPERVISOR_ONLY = gettext_lazy("此页面仅供质量督导员使用")
