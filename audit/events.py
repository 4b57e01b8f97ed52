"""The one list of audit event types. Add new kinds here; never reuse a value for another meaning."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    # accounts
    AUTH_LOGIN = "auth.login", _("登录")
    AUTH_LOGIN_FAILED = "auth.login_failed", _("登录失败")
    AUTH_LOGOUT = "auth.logout", _("退出登录")
    USER_CREATED = "user.created", _("创建账号")
    USER_PASSWORD_CHANGED = "user.password_changed", _("修改密码")
    BUREAU_ROLE_GRANTED = "bureau.role_granted", _("授予人社局角色")
    ORGANIZATION_CREATED = "organization.created", _("新建评价机构")
    ORGANIZATION_UPDATED = "organization.updated", _("修改评价机构信息")
    ORGANIZATION_STATUS_CHANGED = "organization.status_changed", _("变更评价机构状态")
    MEMBERSHIP_ADDED = "membership.added", _("添加成员")
    MEMBERSHIP_ROLE_CHANGED = "membership.role_changed", _("变更成员角色")
    MEMBERSHIP_REMOVED = "membership.removed", _("移除成员")
    # catalogue, filings, standards
    CATALOGUE_IMPORTED = "catalogue.imported", _("导入职业目录")
    OCCUPATION_UPDATED = "occupation.updated", _("修改职业信息")
    FILING_CREATED = "filing.created", _("登记备案")
    FILING_SCOPE_ADDED = "filing.scope_added", _("增加备案范围")
    FILING_RENEWED = "filing.renewed", _("备案续期")
    FILING_SUSPENDED = "filing.suspended", _("暂停备案")
    FILING_REINSTATED = "filing.reinstated", _("恢复备案")
    FILING_REVOKED = "filing.revoked", _("撤销备案")
    FILING_EXPIRED = "filing.expired", _("备案到期")
    STANDARD_CREATED = "standard.created", _("起草评价规范")
    STANDARD_ADOPTED = "standard.adopted", _("采用评价规范模板")
    STANDARD_UPDATED = "standard.updated", _("修改评价规范草稿")
    STANDARD_LEVEL_ADDED = "standard.level_added", _("增加评价规范等级")
    STANDARD_LEVEL_UPDATED = "standard.level_updated", _("修改评价规范等级")
    STANDARD_LEVEL_REMOVED = "standard.level_removed", _("删除评价规范等级")
    STANDARD_PUBLISHED = "standard.published", _("发布评价规范")
    STANDARD_NEW_VERSION = "standard.new_version", _("新建评价规范版本")
    STANDARD_RETIRED = "standard.retired", _("停用评价规范")
    STANDARD_DISCARDED = "standard.discarded", _("删除评价规范草稿")
