from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.models.history_base import AuditedQuerySet, audited_history
from certify.conf import conf, default_pass_mark
from lib.levels import level_label, level_wording


class PublishedStandardError(Exception):
    """A published standard version was about to change: versions are immutable once published."""


class Standard(models.Model):
    """One evaluation standard (评价规范) as a line of versions.

    ``organization`` is empty for the bureau's templates (national or city standards) that
    organisations adopt; enterprise standards belong to their organisation.
    """

    class Source(models.TextChoices):
        NATIONAL = "national", _("国家职业技能标准")
        CITY = "city", _("市级评价规范")
        ENTERPRISE = "enterprise", _("企业评价规范")

    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="standards",
        verbose_name=_("评价机构"),
    )
    occupation = models.ForeignKey("certify.Occupation", on_delete=models.PROTECT, verbose_name=_("职业"))
    work_type = models.ForeignKey(
        "certify.WorkType", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("工种")
    )
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    adopted_from = models.ForeignKey(
        "certify.StandardVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adoptions",
        verbose_name=_("采用的模板版本"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("评价规范")
        verbose_name_plural = _("评价规范")
        ordering = ["occupation__code", "pk"]

    def __str__(self) -> str:
        latest = self.versions.order_by("-version").first()
        return latest.title if latest else f"{self.occupation.name}"

    @property
    def is_template(self) -> bool:
        return self.organization_id is None


class StandardVersion(models.Model):
    """The content of one version. Published versions never change: a change is a new version."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        RETIRED = "retired", _("已停用")

    standard = models.ForeignKey(
        Standard, on_delete=models.PROTECT, related_name="versions", verbose_name=_("评价规范")
    )
    version = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(_("规范名称"), max_length=200)
    source_code = models.CharField(_("标准编号"), max_length=80, blank=True)
    effective_from = models.DateField(_("施行日期"), null=True, blank=True)
    notes = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("评价规范版本")
        verbose_name_plural = _("评价规范版本")
        ordering = ["standard", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "version"], name="standard_version_unique"),
            models.UniqueConstraint(
                fields=["standard"], condition=models.Q(status="published"), name="one_published_version_per_standard"
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(published_at__isnull=False),
                name="published_version_has_published_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（第 {self.version} 版）"

    def save(self, *args, **kwargs):
        # Integrity guard, not business logic: the only change a published row may take is retirement.
        if getattr(self, "_loaded_status", None) == self.Status.PUBLISHED:
            allowed = {"status", "retired_at"}
            update_fields = set(kwargs.get("update_fields") or ())
            if not update_fields or not update_fields <= allowed or self.status != self.Status.RETIRED:
                raise PublishedStandardError("a published standard version is immutable")
        super().save(*args, **kwargs)
        self._loaded_status = self.status

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_status = instance.status
        return instance

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


def _default_min_assessors() -> int:
    return int(conf("MIN_PRACTICAL_ASSESSORS"))


def _default_candidates_per_assessor() -> int:
    return int(conf("CANDIDATES_PER_ASSESSOR"))


def _default_candidates_per_invigilator() -> int:
    return int(conf("CANDIDATES_PER_INVIGILATOR"))


def _default_invigilators_per_room() -> int:
    return int(conf("MIN_INVIGILATORS_PER_ROOM"))


def _default_review_panel() -> int:
    return int(conf("MIN_REVIEW_PANEL"))


def _default_theory_minutes() -> int:
    return int(conf("THEORY_MINUTES"))


def _default_practical_minutes() -> int:
    return int(conf("PRACTICAL_MINUTES"))


SCORE_VALIDATORS = [MinValueValidator(0), MaxValueValidator(100)]


class StandardLevel(models.Model):
    """What one level of a standard version requires: components, pass marks, panel, eligibility."""

    version = models.ForeignKey(
        StandardVersion, on_delete=models.PROTECT, related_name="levels", verbose_name=_("版本")
    )
    level = models.PositiveSmallIntegerField(_("等级"))
    has_theory = models.BooleanField(_("理论知识考试"), default=True)
    theory_pass = models.DecimalField(
        _("理论合格线"), max_digits=4, decimal_places=1, default=default_pass_mark, validators=SCORE_VALIDATORS
    )
    theory_minutes = models.PositiveSmallIntegerField(_("理论考试时长（分钟）"), default=_default_theory_minutes)
    has_practical = models.BooleanField(_("操作技能考核"), default=True)
    practical_pass = models.DecimalField(
        _("操作合格线"), max_digits=4, decimal_places=1, default=default_pass_mark, validators=SCORE_VALIDATORS
    )
    practical_minutes = models.PositiveSmallIntegerField(_("操作考核时长（分钟）"), default=_default_practical_minutes)
    has_review = models.BooleanField(_("综合评审"), default=False)
    review_pass = models.DecimalField(
        _("评审合格线"), max_digits=4, decimal_places=1, default=default_pass_mark, validators=SCORE_VALIDATORS
    )
    review_subscores = models.JSONField(_("评审分项及权重"), default=list, blank=True)
    min_practical_assessors = models.PositiveSmallIntegerField(_("操作考评员最少人数"), default=_default_min_assessors)
    candidates_per_assessor = models.PositiveSmallIntegerField(
        _("每名考评员最多考生数"), default=_default_candidates_per_assessor
    )
    require_odd_panel = models.BooleanField(_("考评组须为奇数"), default=True)
    senior_assessors_required = models.BooleanField(_("须由高级考评员评价"), default=False)
    candidates_per_invigilator = models.PositiveSmallIntegerField(
        _("每名监考人员最多考生数"), default=_default_candidates_per_invigilator
    )
    min_invigilators_per_room = models.PositiveSmallIntegerField(
        _("每个考场最少监考人数"), default=_default_invigilators_per_room
    )
    min_review_panel = models.PositiveSmallIntegerField(_("评审组最少人数"), default=_default_review_panel)
    eligibility_rules = models.JSONField(_("申报条件"), default=list, blank=True)
    direct_grading_allowed = models.BooleanField(_("允许定级"), default=False)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("评价规范等级")
        verbose_name_plural = _("评价规范等级")
        ordering = ["version", "-level"]
        constraints = [models.UniqueConstraint(fields=["version", "level"], name="standard_level_unique")]

    def __str__(self) -> str:
        return level_wording(self.level)

    def save(self, *args, **kwargs):
        # Integrity guard: the levels of a published version are as immutable as the version.
        if StandardVersion.objects.filter(pk=self.version_id).exclude(status=StandardVersion.Status.DRAFT).exists():
            raise PublishedStandardError("the levels of a published standard version are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if StandardVersion.objects.filter(pk=self.version_id).exclude(status=StandardVersion.Status.DRAFT).exists():
            raise PublishedStandardError("the levels of a published standard version are immutable")
        return super().delete(*args, **kwargs)

    @property
    def level_wording(self) -> str:
        return level_wording(self.level)

    @property
    def level_label(self) -> str:
        """The level in the page's language (level_wording stays the printed Chinese)."""
        return level_label(self.level)

    def components(self) -> list[str]:
        return [
            c
            for c, on in (("theory", self.has_theory), ("practical", self.has_practical), ("review", self.has_review))
            if on
        ]
