from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from audit.models.history_base import AuditedQuerySet, audited_history
from lib.levels import level_label, level_wording


class AssessmentPlan(models.Model):
    """An assessment batch (评价计划), filed with the bureau before the exam."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        FILED = "filed", _("已报备")
        IN_PROGRESS = "in_progress", _("考核中")
        SCORING = "scoring", _("评分")
        RESULTS_APPROVED = "results_approved", _("结果已审核")
        PUBLICITY = "publicity", _("公示中")
        CLOSED = "closed", _("已结束")
        CANCELLED = "cancelled", _("已取消")

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="plans", verbose_name=_("评价机构")
    )
    number = models.CharField(_("评价计划编号"), max_length=40, unique=True)
    title = models.CharField(_("计划名称"), max_length=200)
    standard_version = models.ForeignKey(
        "certify.StandardVersion", on_delete=models.PROTECT, related_name="plans", verbose_name=_("评价规范版本")
    )
    standard_level = models.ForeignKey(
        "certify.StandardLevel", on_delete=models.PROTECT, related_name="plans", verbose_name=_("规范等级")
    )
    occupation = models.ForeignKey("certify.Occupation", on_delete=models.PROTECT, verbose_name=_("职业"))
    work_type = models.ForeignKey(
        "certify.WorkType", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("工种")
    )
    level = models.PositiveSmallIntegerField(_("等级"))
    filing = models.ForeignKey(
        "certify.Filing", on_delete=models.PROTECT, null=True, blank=True, related_name="plans", verbose_name=_("备案")
    )
    exam_date = models.DateField(_("考核日期"))
    exam_end_date = models.DateField(_("考核结束日期"), null=True, blank=True)
    venue = models.CharField(_("考核地点"), max_length=200)
    theory_rooms = models.PositiveSmallIntegerField(_("理论考场数"), default=1)
    allow_direct_grading = models.BooleanField(_("接受定级申报"), default=False)
    contact = models.CharField(_("异议受理联系方式"), max_length=100, blank=True)
    internal_supervisor = models.CharField(_("内部质量督导员"), max_length=60, blank=True)
    notes = models.TextField(_("备注"), blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    filed_at = models.DateTimeField(_("报备时间"), null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    filed_lead_days = models.PositiveSmallIntegerField(_("报备提前工作日数"), null=True, blank=True)
    started_at = models.DateTimeField(_("开考时间"), null=True, blank=True)
    scoring_at = models.DateTimeField(_("开始评分时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("结果审核时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    publicity_start = models.DateField(_("公示开始"), null=True, blank=True)
    publicity_end = models.DateField(_("公示截止"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancel_reason = models.TextField(_("取消原因"), blank=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supervised_plans",
        verbose_name=_("外部质量督导员"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("评价计划")
        verbose_name_plural = _("评价计划")
        ordering = ["-exam_date", "-pk"]
        permissions = [("score_plan", _("为该评价计划录入成绩"))]
        indexes = [
            models.Index(fields=["organization", "status"], name="plan_org_status_idx"),
            models.Index(fields=["-filed_at", "-id"], name="plan_filed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("certify:plan_detail", args=[self.organization_id, self.pk])

    @property
    def level_wording(self) -> str:
        return level_wording(self.level)

    @property
    def level_label(self) -> str:
        """The level in the page's language (level_wording stays the printed Chinese)."""
        return level_label(self.level)

    @property
    def subject(self) -> str:
        return f"{self.occupation.name}（{self.work_type.name}）" if self.work_type_id else self.occupation.name


class PlanUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(AssessmentPlan, on_delete=models.CASCADE)


class PlanGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(AssessmentPlan, on_delete=models.CASCADE)


class PlanAssessor(models.Model):
    """An assessor on a plan's panel, with the duty, grade and recusal declaration."""

    class Duty(models.TextChoices):
        PRACTICAL = "practical", _("操作技能考评")
        THEORY = "theory", _("理论知识监考阅卷")
        REVIEW = "review", _("综合评审")

    class Grade(models.TextChoices):
        ASSESSOR = "assessor", _("考评员")
        SENIOR = "senior", _("高级考评员")

    plan = models.ForeignKey(AssessmentPlan, on_delete=models.PROTECT, related_name="assessors")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="plan_duties")
    duty = models.CharField(_("职责"), max_length=20, choices=Duty.choices)
    grade = models.CharField(_("考评资格"), max_length=20, choices=Grade.choices, default=Grade.ASSESSOR)
    qualification_no = models.CharField(_("考评员证书编号"), max_length=60, blank=True)
    declared_at = models.DateTimeField(_("回避声明时间"), null=True, blank=True)
    declaration = models.TextField(_("回避声明"), blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("考评人员")
        verbose_name_plural = _("考评人员")
        ordering = ["plan", "duty", "pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "user", "duty"], name="plan_assessor_unique")]

    def __str__(self) -> str:
        return f"{self.user.get_full_name()}（{self.get_duty_display()}）"


class RecusalRelation(models.Model):
    """A relation an assessor declared with a candidate: that assessor must not score them."""

    class Relation(models.TextChoices):
        RELATIVE = "relative", _("亲属")
        FRIEND = "friend", _("朋友")
        STUDENT = "student", _("师生（本人学生或徒弟）")
        SUBORDINATE = "subordinate", _("直接上下级")
        OTHER = "other", _("其他利害关系")

    assessor = models.ForeignKey(PlanAssessor, on_delete=models.PROTECT, related_name="relations")
    enrolment = models.ForeignKey("certify.Enrolment", on_delete=models.PROTECT, related_name="recusals")
    relation = models.CharField(_("关系"), max_length=20, choices=Relation.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("回避关系")
        verbose_name_plural = _("回避关系")
        constraints = [models.UniqueConstraint(fields=["assessor", "enrolment"], name="recusal_unique")]

    def __str__(self) -> str:
        return f"{self.assessor} — {self.get_relation_display()}"


class SupervisionReport(models.Model):
    """The external quality supervisor's report on a plan (质量督导报告)."""

    plan = models.ForeignKey(AssessmentPlan, on_delete=models.PROTECT, related_name="supervision_reports")
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attended = models.BooleanField(_("到场督导"), default=True)
    visited_on = models.DateField(_("督导日期"))
    attendance = models.CharField(_("考生到考情况"), max_length=200, blank=True)
    observations = models.TextField(_("督导情况"))
    problems = models.TextField(_("发现的问题"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("督导报告")
        verbose_name_plural = _("督导报告")
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.plan.number} {self.visited_on}"


class CalendarDay(models.Model):
    """A day whose working status the bureau sets by hand, e.g. next year's official arrangement
    before the chinese-calendar package knows it. Overrides the package."""

    day = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(_("工作日"))
    note = models.CharField(_("说明"), max_length=100, blank=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("节假日调整")
        verbose_name_plural = _("节假日调整")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {'工作日' if self.is_working_day else '休息日'}"
