from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.models.history_base import AuditedQuerySet, audited_history


class ScoreFinalError(Exception):
    """A submitted score was about to change: a correction is a new record, never an overwrite."""


class FinalQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ScoreFinalError("submitted scores are final")

    def delete(self):
        raise ScoreFinalError("submitted scores are final")


class Score(models.Model):
    """One assessor's submission for one candidate and one component (or review sub-score).

    Final once saved. A correction is a new row that points at the one it replaces and says why.
    """

    class Component(models.TextChoices):
        THEORY = "theory", _("理论知识")
        PRACTICAL = "practical", _("操作技能")
        REVIEW = "review", _("综合评审")

    class Outcome(models.TextChoices):
        SCORED = "scored", _("有效成绩")
        ABSENT = "absent", _("缺考")
        DISQUALIFIED = "disqualified", _("违纪取消")

    class Source(models.TextChoices):
        FORM = "form", _("逐条录入")
        IMPORT = "import", _("成绩表导入")

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey("certify.AssessmentPlan", on_delete=models.PROTECT, related_name="scores")
    enrolment = models.ForeignKey("certify.Enrolment", on_delete=models.PROTECT, related_name="scores")
    component = models.CharField(_("考核项目"), max_length=20, choices=Component.choices)
    subscore = models.CharField(_("评审分项"), max_length=40, blank=True)
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scores")
    outcome = models.CharField(_("情况"), max_length=20, choices=Outcome.choices, default=Outcome.SCORED)
    value = models.DecimalField(
        _("成绩"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("更正的成绩"),
    )
    reason = models.TextField(_("更正原因"), blank=True)
    objection = models.ForeignKey(
        "certify.Objection", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    source = models.CharField(_("录入方式"), max_length=10, choices=Source.choices, default=Source.FORM)
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    history = audited_history()
    objects = FinalQuerySet.as_manager()

    class Meta:
        verbose_name = _("成绩")
        verbose_name_plural = _("成绩")
        ordering = ["enrolment", "component", "subscore", "submitted_at"]
        indexes = [models.Index(fields=["plan", "enrolment"], name="score_plan_enrolment_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(outcome="scored", value__isnull=False) & models.Q(value__gte=0, value__lte=100))
                | (~models.Q(outcome="scored") & models.Q(value__isnull=True)),
                name="score_value_matches_outcome",
            ),
            models.CheckConstraint(
                condition=models.Q(replaces__isnull=True) | ~models.Q(reason=""), name="score_correction_has_reason"
            ),
        ]

    def __str__(self) -> str:
        shown = self.value if self.outcome == self.Outcome.SCORED else self.get_outcome_display()
        return f"{self.get_component_display()}{f'·{self.subscore}' if self.subscore else ''} {shown}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ScoreFinalError("submitted scores are final")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ScoreFinalError("submitted scores are final")


class Result(models.Model):
    """A candidate's result computed from the current scores by the standard's rules."""

    class Outcome(models.TextChoices):
        PASS = "pass", _("合格")
        FAIL = "fail", _("不合格")
        ABSENT = "absent", _("缺考")
        DISQUALIFIED = "disqualified", _("取消资格")
        INCOMPLETE = "incomplete", _("成绩未齐")

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey("certify.AssessmentPlan", on_delete=models.PROTECT, related_name="results")
    enrolment = models.OneToOneField("certify.Enrolment", on_delete=models.PROTECT, related_name="result")
    theory = models.DecimalField(_("理论知识成绩"), max_digits=4, decimal_places=1, null=True, blank=True)
    practical = models.DecimalField(_("操作技能成绩"), max_digits=4, decimal_places=1, null=True, blank=True)
    review = models.DecimalField(_("综合评审成绩"), max_digits=4, decimal_places=1, null=True, blank=True)
    outcome = models.CharField(_("评定结果"), max_length=20, choices=Outcome.choices)
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    computed_at = models.DateTimeField(_("计算时间"))

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("评价结果")
        verbose_name_plural = _("评价结果")
        ordering = ["plan", "enrolment"]

    def __str__(self) -> str:
        return f"{self.enrolment} {self.get_outcome_display()}"


class Objection(models.Model):
    """An objection raised during publicity (公示异议), recorded by HR and resolved with a reason.

    .. pii: ``raised_by`` and ``contact`` identify the person who objected.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        UPHELD = "upheld", _("异议成立")
        REJECTED = "rejected", _("异议不成立")

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey("certify.AssessmentPlan", on_delete=models.PROTECT, related_name="objections")
    enrolment = models.ForeignKey(
        "certify.Enrolment", on_delete=models.PROTECT, null=True, blank=True, related_name="objections"
    )
    raised_by = models.CharField(_("异议人"), max_length=60)
    contact = models.CharField(_("联系方式"), max_length=60, blank=True)
    content = models.TextField(_("异议内容"))
    received_on = models.DateField(_("收到日期"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(_("处理结果"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["plan", "received_on", "pk"]

    def __str__(self) -> str:
        return f"{self.plan.number} {self.get_status_display()}"


class ScoreDraft(models.Model):
    """What an assessor typed on a plan's score sheet and has not submitted yet: kept on the
    server so that nothing typed is lost (a reload, another computer, an error in one row).

    Not a record anyone relies on — a submitted ``Score`` is, with its audit event — so a draft
    carries no history and is overwritten in place. ``values`` maps
    ``"<enrolment id>|<component>|<sub-score>"`` to ``{"value": typed text, "outcome": code}``.
    """

    plan = models.ForeignKey("certify.AssessmentPlan", on_delete=models.CASCADE, related_name="score_drafts")
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="score_drafts")
    values = models.JSONField(_("草稿内容"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("保存时间"), auto_now=True)

    class Meta:
        verbose_name = _("成绩草稿")
        verbose_name_plural = _("成绩草稿")
        constraints = [models.UniqueConstraint(fields=["plan", "assessor"], name="score_draft_unique")]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.assessor_id}"
