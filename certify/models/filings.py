import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.models.history_base import AuditedQuerySet, audited_history
from lib.levels import level_label


class Filing(models.Model):
    """A bureau filing (备案): the organisation may evaluate inside its scope until it expires."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        SUSPENDED = "suspended", _("暂停")
        REVOKED = "revoked", _("撤销")
        EXPIRED = "expired", _("已过期")

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="filings", verbose_name=_("评价机构")
    )
    number = models.CharField(_("备案编号"), max_length=60, unique=True)
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期止"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.TextField(_("状态原因"), blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    renewal_count = models.PositiveSmallIntegerField(_("续期次数"), default=0)
    notes = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("备案")
        verbose_name_plural = _("备案")
        ordering = ["-valid_until"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("valid_from")), name="filing_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return self.number

    def status_on(self, day: dt.date) -> str:
        """The status that applies on a given day (an active filing is expired after its end date)."""
        if self.status == self.Status.ACTIVE:
            if day > self.valid_until:
                return self.Status.EXPIRED
            if day < self.valid_from:
                return "not_yet"
        return self.status

    def status_label_on(self, day: dt.date) -> str:
        status = self.status_on(day)
        if status == "not_yet":
            return str(_("尚未生效"))
        return str(self.Status(status).label)


class FilingScope(models.Model):
    """One row of a filing's scope: an occupation, optionally one 工种, and the levels allowed."""

    filing = models.ForeignKey(Filing, on_delete=models.PROTECT, related_name="scopes", verbose_name=_("备案"))
    occupation = models.ForeignKey("certify.Occupation", on_delete=models.PROTECT, verbose_name=_("职业"))
    work_type = models.ForeignKey(
        "certify.WorkType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("工种"),
        help_text=_("不填表示该职业下的所有工种"),
    )
    levels = models.CharField(_("等级"), max_length=10, help_text=_("允许评价的等级代码，如 543"))
    added_at = models.DateTimeField(_("添加时间"), auto_now_add=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("备案范围")
        verbose_name_plural = _("备案范围")
        ordering = ["occupation__code", "work_type__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["filing", "occupation"],
                condition=models.Q(work_type__isnull=True),
                name="filing_scope_whole_occ",
            ),
            models.UniqueConstraint(
                fields=["filing", "occupation", "work_type"],
                condition=models.Q(work_type__isnull=False),
                name="filing_scope_work_type",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.occupation.name}{f'（{self.work_type.name}）' if self.work_type_id else ''} {self.levels_display}"
        )

    @property
    def level_codes(self) -> list[int]:
        return sorted((int(c) for c in self.levels), reverse=True)

    @property
    def levels_display(self) -> str:
        return "、".join(level_label(c) for c in self.level_codes)  # in the page's language

    def covers_level(self, code: int) -> bool:
        return str(code) in self.levels
