from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.models.history_base import AuditedQuerySet, audited_history


class RiskSettings(models.Model):
    """The thresholds of the risk rules, edited by the bureau (one row)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    identical_min_candidates = models.PositiveIntegerField(_("雷同成绩：计划最少考生数"), default=10)
    identical_share_percent = models.PositiveSmallIntegerField(_("雷同成绩：相同成绩组合占比（%）"), default=50)
    full_pass_min_candidates = models.PositiveIntegerField(_("全员合格：计划考生数超过"), default=20)
    assessor_daily_limit = models.PositiveIntegerField(_("考评员单日评分人数上限"), default=60)
    direct_share_percent = models.PositiveSmallIntegerField(_("定级申报占比上限（%）"), default=30)
    direct_min_candidates = models.PositiveIntegerField(_("定级占比：计划最少考生数"), default=5)
    revocation_limit = models.PositiveIntegerField(_("撤销证书：期间内次数达到"), default=3)
    revocation_window_days = models.PositiveIntegerField(_("撤销证书：统计天数"), default=365)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("风险规则阈值")
        verbose_name_plural = _("风险规则阈值")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="risksettings_single_row")]

    def __str__(self) -> str:
        return str(_("风险规则阈值"))


class RiskFlag(models.Model):
    """Something that deserves a look, computed by a rule, linked to its evidence."""

    class Rule(models.TextChoices):
        OUT_OF_SCOPE = "out_of_scope", _("超出备案范围或备案失效时发证")
        EARLY_ISSUE = "early_issue", _("公示未结束或异议未处理即发证")
        SCORE_AFTER_APPROVAL = "score_after_approval", _("结果审核后更改成绩")
        IDENTICAL_SCORES = "identical_scores", _("计划内成绩高度雷同")
        FULL_PASS = "full_pass", _("大批次全员合格")
        ASSESSOR_OVERLOAD = "assessor_overload", _("考评员单日评分人数过多")
        DIRECT_SHARE = "direct_share", _("定级申报占比过高")
        SHORT_LEAD = "short_lead", _("计划报备提前时间不足")
        LATE_PUBLICITY = "late_publicity", _("考核后未按期公示结果")
        REPEATED_REVOCATIONS = "repeated_revocations", _("频繁撤销证书")
        CROSS_ORG_DUPLICATE = "cross_org_duplicate", _("同一人员在多家机构申报或持证（同职业同等级）")

    class Status(models.TextChoices):
        OPEN = "open", _("待核查")
        ACKNOWLEDGED = "acknowledged", _("已知悉")
        RESOLVED = "resolved", _("已处理")

    rule = models.CharField(_("规则"), max_length=40, choices=Rule.choices)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="risk_flags", verbose_name=_("评价机构")
    )
    target_type = models.CharField(_("对象类型"), max_length=60)
    target_id = models.CharField(_("对象编号"), max_length=64)
    target_repr = models.CharField(_("对象"), max_length=300)
    summary = models.CharField(_("摘要"), max_length=300)
    evidence = models.JSONField(_("依据"), default=dict)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    first_seen = models.DateTimeField(_("首次发现"))
    last_seen = models.DateTimeField(_("最近发现"))
    note = models.TextField(_("处理说明"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("风险提示")
        verbose_name_plural = _("风险提示")
        ordering = ["-last_seen"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "target_type", "target_id"], name="risk_flag_once_per_target")
        ]
        indexes = [models.Index(fields=["organization", "status"], name="risk_org_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_rule_display()}：{self.target_repr}"


class SubsidyRule(models.Model):
    """Subsidy amounts for one year, edited by the bureau (domain.md §8: amounts are not public)."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    amounts = models.JSONField(_("各等级每证补贴（元）"), default=dict)
    shortage_uplift_percent = models.PositiveSmallIntegerField(_("急需紧缺职业上浮（%）"), default=30)
    shortage_max_level = models.PositiveSmallIntegerField(
        _("上浮适用等级（该等级及以上）"), default=3, help_text=_("3 表示三级/高级工及以上")
    )
    organization_annual_cap = models.DecimalField(_("每家机构年度上限（元）"), max_digits=12, decimal_places=2)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("补贴标准")
        verbose_name_plural = _("补贴标准")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year}"
