from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from audit.models.history_base import AuditedQuerySet, audited_history
from lib.levels import level_label


class NumberCounter(models.Model):
    """The last serial used per (organisation, year, level). Locked FOR UPDATE in the issuing
    transaction, so numbers are unique and gap-free (a rolled-back issue rolls the counter back)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年份"))
    level = models.PositiveSmallIntegerField(_("等级"))
    last_serial = models.PositiveIntegerField(_("已用顺序号"), default=0)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("证书编号计数器")
        verbose_name_plural = _("证书编号计数器")
        constraints = [
            models.UniqueConstraint(fields=["organization", "year", "level"], name="number_counter_unique"),
            models.CheckConstraint(condition=models.Q(last_serial__lte=999999), name="number_counter_six_digits"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.year}/{self.level}: {self.last_serial}"


class IssuanceBatch(models.Model):
    """One issuing run for a closed plan. Re-running it issues only what is still missing."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("处理中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("出错")

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    plan = models.OneToOneField("certify.AssessmentPlan", on_delete=models.PROTECT, related_name="issuance")
    issue_date = models.DateField(_("发证日期"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(_("出错原因"), blank=True)
    skipped = models.JSONField(_("未发证的考生"), default=list, blank=True)
    combined_pdf = models.FileField(_("合并打印文件"), upload_to="batches/%Y/", blank=True)
    combined_pdf_sha256 = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    allocated_at = models.DateTimeField(_("编号时间"), null=True, blank=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("发证批次")
        verbose_name_plural = _("发证批次")

    def __str__(self) -> str:
        return f"{self.plan.number} {self.get_status_display()}"


class Certificate(models.Model):
    """A 职业技能等级证书. The printed fields are a snapshot taken at issue and signed; a
    correction is a new version with the same number, a re-issue (补发) a new print serial.

    .. pii: ``holder_name`` and the person's ID number (in ``person``) are personal data; the ID
       number itself is never stored here, only the person's encrypted token. ``check_code_token``
       is the 查验码 printed on the paper, encrypted like an ID number: it is never shown on a page,
       in the QR, in JSON or in a log.
    """

    class Status(models.TextChoices):
        VALID = "valid", _("有效")
        SUSPENDED = "suspended", _("暂停")
        REVOKED = "revoked", _("已撤销")
        REPLACED = "replaced", _("已更正")

    class RevokeReason(models.TextChoices):
        FRAUD = "fraud", _("以欺骗等不正当手段取得")
        ERROR = "error", _("评价结果有误")
        DUPLICATE = "duplicate", _("重复发证")
        MISCONDUCT = "misconduct", _("评价过程违规")
        OTHER = "other", _("其他原因")

    class PdfStatus(models.TextChoices):
        PENDING = "pending", _("待生成")
        DONE = "done", _("已生成")
        FAILED = "failed", _("生成失败")

    class UploadStatus(models.TextChoices):
        PENDING = "pending", _("待上报")
        EXPORTED = "exported", _("已导出")
        ACCEPTED = "accepted", _("已接收")
        REJECTED = "rejected", _("被退回")

    number = models.CharField(_("证书编号"), max_length=22)  # indexed by the unique (number, version)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="certificates")
    person = models.ForeignKey("certify.Person", on_delete=models.PROTECT, related_name="certificates")
    enrolment = models.ForeignKey("certify.Enrolment", on_delete=models.PROTECT, related_name="certificates")
    plan = models.ForeignKey("certify.AssessmentPlan", on_delete=models.PROTECT, related_name="certificates")
    batch = models.ForeignKey(
        IssuanceBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="certificates"
    )
    standard_version = models.ForeignKey("certify.StandardVersion", on_delete=models.PROTECT, related_name="+")
    occupation = models.ForeignKey("certify.Occupation", on_delete=models.PROTECT, related_name="+")
    work_type = models.ForeignKey("certify.WorkType", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    level = models.PositiveSmallIntegerField(_("等级"))
    # the printed (and signed) snapshot
    holder_name = models.CharField(_("姓名"), max_length=60)
    id_type_label = models.CharField(_("证件类型"), max_length=40)
    occupation_name = models.CharField(_("职业名称"), max_length=100)
    occupation_code = models.CharField(_("职业编码"), max_length=20)
    work_type_name = models.CharField(_("工种/职业方向"), max_length=100)
    level_wording = models.CharField(_("职业技能等级"), max_length=20)
    organization_name = models.CharField(_("评价机构名称"), max_length=200)
    issue_date = models.DateField(_("发证日期"))
    signature = models.CharField(_("签名"), max_length=100)
    key_id = models.CharField(_("签名密钥"), max_length=16)
    # Signed payload version 2 covers the 查验码; empty for version-1 certificates (issued before it).
    check_code_token = models.TextField(_("查验码（密文）"), blank=True)
    # A version-1 certificate re-issued with a 查验码 keeps its first signature here, so the QR on
    # the paper it replaced still verifies (as version 1).
    legacy_signature = models.CharField(_("原签名（第 1 版载荷）"), max_length=100, blank=True)
    legacy_key_id = models.CharField(_("原签名密钥"), max_length=16, blank=True)
    # status
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.VALID)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    reason_category = models.CharField(_("原因类别"), max_length=20, choices=RevokeReason.choices, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    correction_note = models.TextField(_("更正说明"), blank=True)
    print_serial = models.PositiveSmallIntegerField(_("打印序号"), default=1)
    # files
    photo = models.FileField(_("证件照"), upload_to="certificates/photos/%Y/", blank=True)
    pdf = models.FileField(_("证书 PDF"), upload_to="certificates/%Y/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_status = models.CharField(_("PDF 状态"), max_length=20, choices=PdfStatus.choices, default=PdfStatus.PENDING)
    pdf_error = models.TextField(_("PDF 出错原因"), blank=True)
    # the provincial / national upload
    upload_status = models.CharField(
        _("上报状态"), max_length=20, choices=UploadStatus.choices, default=UploadStatus.PENDING
    )
    upload_note = models.TextField(_("退回原因"), blank=True)
    exported_at = models.DateTimeField(_("导出时间"), null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("核发时间"), auto_now_add=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("职业技能等级证书")
        verbose_name_plural = _("职业技能等级证书")
        ordering = ["number", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["number", "version"], name="certificate_number_version_unique"),
            # one certificate per application: the database refuses a second issue of the same enrolment
            models.UniqueConstraint(
                fields=["enrolment"], condition=models.Q(version=1), name="certificate_once_per_enrolment"
            ),
            models.CheckConstraint(
                condition=(models.Q(status="revoked") & models.Q(revoked_at__isnull=False))
                | (~models.Q(status="revoked") & models.Q(revoked_at__isnull=True)),
                name="certificate_revoked_at_iff_revoked",
            ),
        ]
        # Each index serves a page: the organisation's list and the bureau's list in their sort order,
        # statistics by issue date, the bureau's search by name, 一人多证 checks (bench/: docs/benchmarks.md).
        indexes = [
            models.Index(fields=["organization", "-issue_date", "number", "-version"], name="cert_org_list_idx"),
            models.Index(fields=["-issue_date", "number"], name="cert_issue_date_idx"),
            models.Index(fields=["holder_name"], name="cert_holder_name_idx"),
            models.Index(fields=["person", "occupation", "level"], name="cert_person_occ_level_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number}（{self.holder_name}）"

    def get_absolute_url(self) -> str:
        return reverse("certify:certificate_detail", args=[self.organization_id, self.pk])

    @property
    def level_label(self) -> str:
        """The level in the page's language: the wording as printed in Chinese, its English name in English."""
        return level_label(self.level, self.level_wording)

    @property
    def id_type_display(self) -> str:
        """The ID type in the page's language (id_type_label keeps the printed Chinese)."""
        from certify.models.people import Person

        with translation.override(settings.LANGUAGE_CODE):
            printed = {str(label): value for value, label in Person.IdType.choices}
        code = printed.get(self.id_type_label)
        return str(Person.IdType(code).label) if code else self.id_type_label


class ExportBatch(models.Model):
    """One export of certificates for the provincial/national database (上报文件)."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    profile = models.CharField(_("导出格式"), max_length=40, default="default")
    file = models.FileField(_("文件"), upload_to="exports/%Y/")
    sha256 = models.CharField(max_length=64)
    certificate_count = models.PositiveIntegerField(_("证书数"))
    only_rejected = models.BooleanField(_("仅重报退回的证书"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("上报导出")
        verbose_name_plural = _("上报导出")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.certificate_count}"


class Seal(models.Model):
    """The organisation's seal image printed on its certificates (uploaded, checked, normalised)."""

    organization = models.OneToOneField("accounts.Organization", on_delete=models.PROTECT, related_name="seal")
    image = models.FileField(_("印章图片"), upload_to="seals/")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("印章")
        verbose_name_plural = _("印章")

    def __str__(self) -> str:
        return str(self.organization)


class RevocationRequest(models.Model):
    """An organisation's request to revoke one certificate, which a second person approves or refuses
    (SKILLCERT_REVOCATION_NEEDS_APPROVAL): revocation cannot be undone."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="revocation_requests")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("原因类别"), max_length=20, choices=Certificate.RevokeReason.choices)
    reason = models.TextField(_("具体原因"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("撤销申请")
        verbose_name_plural = _("撤销申请")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate"], condition=models.Q(status="pending"), name="revocation_request_one_pending"
            ),
        ]
        indexes = [models.Index(fields=["organization", "status"], name="revocation_request_org_idx")]

    def __str__(self) -> str:
        return f"{self.certificate.number}: {self.get_status_display()}"
