from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.models.history_base import AuditedQuerySet, audited_history

OCCUPATION_CODE_RE = r"^\d-\d{2}-\d{2}-\d{2}$"


class Occupation(models.Model):
    """An occupation of the 中华人民共和国职业分类大典, with the edition its code belongs to."""

    code = models.CharField(
        _("职业编码"), max_length=20, validators=[RegexValidator(OCCUPATION_CODE_RE, _("职业编码格式应为 6-18-01-01"))]
    )
    name = models.CharField(_("职业名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    edition = models.CharField(_("大典版本"), max_length=10, default="2022")
    is_shortage = models.BooleanField(_("急需紧缺职业"), default=False)
    active = models.BooleanField(_("启用"), default=True)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("职业")
        verbose_name_plural = _("职业")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["code", "edition"], name="occupation_code_edition_unique")]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class WorkType(models.Model):
    """A 工种/职业方向 under an occupation (数控车工 under 车工). Comes from standards, not the 大典."""

    occupation = models.ForeignKey(
        Occupation, on_delete=models.PROTECT, related_name="work_types", verbose_name=_("职业")
    )
    name = models.CharField(_("工种名称"), max_length=100)

    history = audited_history()
    objects = AuditedQuerySet.as_manager()

    class Meta:
        verbose_name = _("工种")
        verbose_name_plural = _("工种")
        ordering = ["occupation__code", "name"]
        constraints = [models.UniqueConstraint(fields=["occupation", "name"], name="worktype_unique_per_occupation")]

    def __str__(self) -> str:
        return self.name
