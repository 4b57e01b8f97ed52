from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.models.history_base import AuditedQuerySet, audited_history
from lib.eligibility import CertificateKind, Diploma


class Person(models.Model):
    """A worker, global across organisations (one person may hold certificates from several).

    .. pii: ``id_number_token`` is the ID number encrypted with AES-GCM (key id inside the token);
       ``id_number_hash`` is a keyed HMAC for exact lookup; ``id_number_masked`` is for display.
       The plaintext number is never stored, in this table or its history. ``name``, ``sex`` and
       ``birth_date`` are personal data.
    """

    class IdType(models.TextChoices):
        RESIDENT = "resident_id", _("居民身份证")
        HKMOTW_RESIDENCE = "hkmotw_residence", _("港澳台居民居住证")
        HKMO_PERMIT = "hkmo_permit", _("港澳居民来往内地通行证")
        TW_PERMIT = "tw_permit", _("台湾居民来往大陆通行证")
        FOREIGN_PR = "foreign_pr", _("外国人永久居留身份证")
        PASSPORT = "passport", _("护照")
        OTHER = "other", _("其他")

    class Sex(models.TextChoices):  # GB/T 2261.1
        MALE = "1", _("男")
        FEMALE = "2", _("女")
        UNKNOWN = "0", _("未知")
        UNSTATED = "9", _("未说明")

    id_type = models.CharField(_("证件类型"), max_length=20, choices=IdType.choices, default=IdType.RESIDENT)
    id_number_token = models.TextField(_("证件号码（密文）"))
    id_number_hash = models.CharField(_("证件号码检索码"), max_length=64)
    id_number_masked = models.CharField(_("证件号码（脱敏）"), max_length=40)
    name = models.CharField(_("姓名"), max_length=60)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, default=Sex.UNSTATED)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        constraints = [models.UniqueConstraint(fields=["id_type", "id_number_hash"], name="person_id_unique")]

    def __str__(self) -> str:
        return self.name


class Enrolment(models.Model):
    """A person's application (申报) in one plan: the organisation's record of the worker.

    .. pii: employee number, phone, education and employment facts are personal data.
    """

    class Route(models.TextChoices):
        PROMOTION = "promotion", _("晋级")
        DIRECT = "direct", _("定级")

    class Status(models.TextChoices):
        REGISTERED = "registered", _("已报名")
        WITHDRAWN = "withdrawn", _("已撤回")

    class DirectStatus(models.TextChoices):
        NOT_NEEDED = "", _("无需审批")
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")

    class Education(models.TextChoices):  # GB/T 4658-2006 学历代码, the first-level codes forms ask
        POSTGRADUATE = "10", _("研究生")
        BACHELOR = "20", _("大学本科")
        COLLEGE = "30", _("大学专科")
        SECONDARY_VOCATIONAL = "40", _("中等职业教育")
        TECHNICAL_SCHOOL = "47", _("技工学校")
        HIGH_SCHOOL = "60", _("普通高中")
        JUNIOR = "70", _("初中")
        PRIMARY = "80", _("小学")
        OTHER = "90", _("其他")

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="enrolments")
    plan = models.ForeignKey("certify.AssessmentPlan", on_delete=models.PROTECT, related_name="enrolments")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="enrolments")
    employee_number = models.CharField(_("工号"), max_length=40, blank=True)
    hire_date = models.DateField(_("入职日期"), null=True, blank=True)
    dispatched = models.BooleanField(_("劳务派遣人员"), default=False)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)
    education = models.CharField(_("文化程度"), max_length=2, choices=Education.choices, blank=True)
    diploma = models.CharField(_("职业院校毕业证书"), max_length=30, choices=Diploma.choices, blank=True)
    diploma_in_field = models.BooleanField(_("本专业或相关专业"), default=True)
    final_year_student = models.BooleanField(_("在校应届毕业生"), default=False)
    apprenticeship_completed = models.BooleanField(_("学徒期满"), default=False)
    years_in_occupation = models.DecimalField(_("从事本职业年限"), max_digits=4, decimal_places=1, default=0)
    route = models.CharField(_("申报方式"), max_length=20, choices=Route.choices, default=Route.PROMOTION)
    eligible = models.BooleanField(_("符合申报条件"), default=False)
    eligibility = models.JSONField(_("申报条件审查"), default=dict, blank=True)
    direct_justification = models.TextField(_("定级申报说明"), blank=True)
    direct_status = models.CharField(
        _("定级审批"), max_length=20, choices=DirectStatus.choices, default=DirectStatus.NOT_NEEDED, blank=True
    )
    direct_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    direct_decided_at = models.DateTimeField(null=True, blank=True)
    direct_decision_note = models.TextField(_("审批意见"), blank=True)
    warnings = models.JSONField(_("提示"), default=list, blank=True)
    photo = models.FileField(_("证件照"), upload_to="photos/%Y/%m/", blank=True)
    supplied_number = models.CharField(
        _("省级下发证书编号"), max_length=22, blank=True, help_text=_("由省级系统分配时填写；为空则由本平台编号")
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.REGISTERED)
    withdrawn_reason = models.TextField(_("撤回原因"), blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("申报")
        verbose_name_plural = _("申报")
        ordering = ["plan", "pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "person"], name="enrolment_once_per_plan")]
        indexes = [models.Index(fields=["organization", "person"], name="enrolment_org_person_idx")]

    def __str__(self) -> str:
        return f"{self.person.name}（{self.plan.number}）"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.REGISTERED

    @property
    def admitted(self) -> bool:
        """May sit the exam: eligible by the rules, or a direct grading approved by a second person."""
        if self.route == self.Route.DIRECT:
            return self.direct_status == self.DirectStatus.APPROVED
        return self.eligible


class PriorCertificate(models.Model):
    """A certificate the candidate already holds (old 职业资格证书 count as prior levels too)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="prior_certificates")
    level = models.PositiveSmallIntegerField(_("等级"))
    kind = models.CharField(
        _("证书类型"), max_length=20, choices=CertificateKind.choices, default=CertificateKind.SKILL_LEVEL
    )
    number = models.CharField(_("证书编号"), max_length=40, blank=True)
    obtained_on = models.DateField(_("取得日期"))
    occupation_name = models.CharField(_("职业（工种）"), max_length=100, blank=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("已有证书")
        verbose_name_plural = _("已有证书")
        ordering = ["enrolment", "level"]

    def __str__(self) -> str:
        return f"{self.number or ''} {self.level}"
