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
