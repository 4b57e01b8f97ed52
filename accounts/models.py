from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.roles import OrgPerm, Role
from audit.models.history_base import AuditedQuerySet, audited_history
from lib.identifiers import validate_credit_code


def _default_region_code() -> str:
    return settings.SKILLCERT_REGION_CODE


class User(AbstractUser):
    """A person who signs in.

    .. pii: ``full_name`` and ``phone`` are personal data of staff.
    """

    full_name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)
    must_change_password = models.BooleanField(_("下次登录须修改密码"), default=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return f"{self.full_name}（{self.username}）" if self.full_name else self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.full_name or self.username


class Organization(models.Model):
    """An evaluating organisation (评价机构): the tenant."""

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业")
        SOCIAL = "social", _("社会培训评价组织")
        COLLEGE = "college", _("技工院校")

    class Status(models.TextChoices):
        ACTIVE = "active", _("正常")
        SUSPENDED = "suspended", _("已暂停")
        CLOSED = "closed", _("已注销")

    class NumberType(models.TextChoices):
        EMPLOYER = "Y", _("Y 用人单位评价本单位职工")
        SOCIAL = "S", _("S 社会培训评价组织")

    name = models.CharField(_("机构名称（与备案一致）"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code])
    kind = models.CharField(_("机构类型"), max_length=20, choices=Kind.choices, default=Kind.ENTERPRISE)
    region_code = models.CharField(
        _("行政区划代码"),
        max_length=6,
        default=_default_region_code,
        validators=[RegexValidator(r"^\d{6}$", _("行政区划代码应为 6 位数字"))],
    )
    region_name = models.CharField(_("所在地区"), max_length=60, default="东莞市")
    ministry_code = models.CharField(
        _("部级机构代码"),
        max_length=4,
        default="0000",
        help_text=_("证书编号第 2–5 位；在省级备案的机构为 0000"),
        validators=[RegexValidator(r"^\d{4}$", _("部级机构代码应为 4 位数字"))],
    )
    province_sequence = models.CharField(
        _("省级机构序号"),
        max_length=6,
        unique=True,
        help_text=_("省人社厅分配的 6 位序号，用于证书编号第 8–13 位"),
        validators=[RegexValidator(r"^\d{6}$", _("省级机构序号应为 6 位数字"))],
    )
    number_type = models.CharField(
        _("证书编号类别"), max_length=1, choices=NumberType.choices, default=NumberType.EMPLOYER
    )
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(_("状态说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("评价机构")
        verbose_name_plural = _("评价机构")
        ordering = ["name"]
        permissions = [(p.value, p.label) for p in OrgPerm]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:org_detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Membership(models.Model):
    """A user's role in one organisation. Permissions follow the role through guardian."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("用户")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("机构")
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("加入时间"), auto_now_add=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("机构成员")
        verbose_name_plural = _("机构成员")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_one_role_per_org"),
        ]
        ordering = ["organization", "role", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization}：{self.get_role_display()}"


class MembershipInvitation(models.Model):
    """An organisation admin's invitation of an existing account; its owner accepts or declines.

    ``user`` is set only when the username named an account that may join; the inviter is told
    the same thing whatever the username was, so an invitation without a user is one nobody
    sees. Accepting creates the membership (and its role's grants) like adding a member does.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待对方接受")
        ACCEPTED = "accepted", _("已接受")
        DECLINED = "declined", _("已谢绝")
        CANCELLED = "cancelled", _("已撤回")

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="invitations", verbose_name=_("机构")
    )
    username = models.CharField(_("被邀请账号"), max_length=150)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("被邀请用户"),
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("邀请人"),
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("邀请时间"), auto_now_add=True)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("成员邀请")
        verbose_name_plural = _("成员邀请")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "username"],
                condition=models.Q(status="pending"),
                name="invitation_one_pending_per_username",
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending", decided_at__isnull=True)
                | (~models.Q(status="pending") & models.Q(decided_at__isnull=False)),
                name="invitation_decided_iff_not_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username} → {self.organization}：{self.get_role_display()}"

    @property
    def expires_at(self):
        return self.created_at + timedelta(days=settings.SKILLCERT_INVITATION_DAYS)

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.PENDING and timezone.now() >= self.expires_at


class OrganizationUserObjectPermission(UserObjectPermissionBase):
    """Direct foreign-key grants (guardian): fast joins and no orphans when an org goes."""

    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)


class OrganizationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Organization, on_delete=models.CASCADE)
