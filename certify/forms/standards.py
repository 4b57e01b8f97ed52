"""Forms parse and validate input; the services decide. No model is saved from a form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from certify.models import Filing, Occupation, Standard, StandardLevel, StandardVersion
from certify.services.standards import LEVEL_FIELDS
from lib.eligibility import Condition, Diploma
from lib.levels import level_choices

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LevelsField(forms.TypedMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("label", _("等级"))
        super().__init__(choices=level_choices, **kwargs)


class OccupationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Occupation) -> str:
        return f"{obj.code} {obj.name}"


def occupation_field(**kwargs) -> OccupationChoiceField:
    return OccupationChoiceField(
        queryset=Occupation.objects.filter(active=True).order_by("code"), label=_("职业"), **kwargs
    )


class WorkTypeNameField(forms.CharField):
    """工种 typed by name: an existing one is reused, a new one is created with the standard or filing."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("工种/职业方向"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("help_text", _("不填表示不区分工种"))
        super().__init__(**kwargs)


# --- catalogue ----------------------------------------------------------------------------
class CatalogueImportForm(forms.Form):
    file = forms.FileField(label=_("目录文件"), help_text=_("Excel（.xlsx）或 CSV 文件，可先下载模板填写"))


# --- filings ------------------------------------------------------------------------------
class FilingForm(forms.Form):
    number = forms.CharField(label=_("备案编号"), max_length=60)
    valid_from = forms.DateField(label=_("有效期起"), widget=DATE_WIDGET)
    valid_until = forms.DateField(label=_("有效期止"), widget=DATE_WIDGET)
    notes = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ScopeForm(forms.Form):
    occupation = forms.ModelChoiceField(queryset=Occupation.objects.none(), label=_("职业"))
    work_type = WorkTypeNameField(help_text=_("不填表示该职业下的所有工种"))
    levels = LevelsField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occupation"] = occupation_field()


ScopeFormSet = forms.formset_factory(ScopeForm, extra=0, min_num=1, validate_min=True)


class FilingRenewForm(forms.Form):
    valid_until = forms.DateField(label=_("新的有效期止"), widget=DATE_WIDGET)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class FilingFilterForm(forms.Form):
    q = forms.CharField(label=_("备案编号 / 机构"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部")), *Filing.Status.choices])


# --- standards ----------------------------------------------------------------------------
class StandardCreateForm(forms.Form):
    occupation = forms.ModelChoiceField(queryset=Occupation.objects.none(), label=_("职业"))
    work_type = WorkTypeNameField()
    title = forms.CharField(label=_("规范名称"), max_length=200)
    source_code = forms.CharField(label=_("标准编号"), max_length=80, required=False)
    effective_from = forms.DateField(label=_("施行日期"), required=False, widget=DATE_WIDGET)
    levels = LevelsField()
    notes = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, template: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occupation"] = occupation_field()
        if template:
            self.fields["source"] = forms.ChoiceField(
                label=_("来源"), choices=[c for c in Standard.Source.choices if c[0] != Standard.Source.ENTERPRISE]
            )


class StandardVersionForm(forms.Form):
    title = forms.CharField(label=_("规范名称"), max_length=200)
    source_code = forms.CharField(label=_("标准编号"), max_length=80, required=False)
    effective_from = forms.DateField(label=_("施行日期"), required=False, widget=DATE_WIDGET)
    notes = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    @classmethod
    def for_version(cls, version: StandardVersion, data=None):
        initial = {f: getattr(version, f) for f in ("title", "source_code", "effective_from", "notes")}
        return cls(data, initial=initial)


class LevelAddForm(forms.Form):
    level = forms.TypedChoiceField(label=_("等级"), coerce=int, choices=level_choices)


class StandardLevelForm(forms.ModelForm):
    """The plain fields of a level; sub-scores and eligibility rules come through the formsets below."""

    class Meta:
        model = StandardLevel
        # every level field but the two edited through the formsets below
        fields = [f for f in LEVEL_FIELDS if f not in ("review_subscores", "eligibility_rules")]

    def _post_clean(self):
        pass  # the service validates and saves


class SubscoreForm(forms.Form):
    name = forms.CharField(label=_("分项名称"), max_length=40)
    weight = forms.IntegerField(label=_("权重（%）"), min_value=0, max_value=100)


SubscoreFormSet = forms.formset_factory(SubscoreForm, extra=1, can_delete=True)


class ConditionForm(forms.Form):
    """One alternative of the eligibility rules, edited field by field (never raw JSON)."""

    min_years_in_occupation = forms.DecimalField(
        label=_("从事本职业工作满（年）"), required=False, min_value=0, max_digits=4, decimal_places=1
    )
    prior_level = forms.TypedChoiceField(
        label=_("须持有证书等级"), required=False, coerce=int, empty_value=None, choices=[("", "—"), *level_choices()]
    )
    min_years_since_prior = forms.DecimalField(
        label=_("取得该证书后满（年）"), required=False, min_value=0, max_digits=4, decimal_places=1
    )
    diplomas = forms.MultipleChoiceField(
        label=_("本专业毕业证书（任一）"), required=False, choices=Diploma.choices, widget=forms.CheckboxSelectMultiple
    )
    final_year_student_counts = forms.BooleanField(label=_("在校应届毕业生视同"), required=False)
    apprenticeship_completed = forms.BooleanField(label=_("须学徒期满"), required=False)
    note = forms.CharField(label=_("原文表述"), required=False, max_length=300)

    def clean(self):
        data = super().clean()
        if self.errors or data.get("DELETE"):
            return data
        values = [data.get(k) for k in ("min_years_in_occupation", "prior_level", "min_years_since_prior")]
        if (
            all(v in (None, "") for v in values)
            and not data.get("diplomas")
            and not data.get("apprenticeship_completed")
        ):
            if self.has_changed():
                raise forms.ValidationError(_("请至少填写一项条件"))
            return data
        try:
            data["condition"] = Condition.from_dict(
                {
                    "min_years_in_occupation": data.get("min_years_in_occupation"),
                    "prior_level": data.get("prior_level"),
                    "min_years_since_prior": data.get("min_years_since_prior"),
                    "diplomas": data.get("diplomas") or [],
                    "final_year_student_counts": bool(data.get("final_year_student_counts")),
                    "apprenticeship_completed": bool(data.get("apprenticeship_completed")),
                    "note": data.get("note") or "",
                }
            )
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data


ConditionFormSet = forms.formset_factory(ConditionForm, extra=1, can_delete=True)


def condition_initial(rules: list[dict]) -> list[dict]:
    initial = []
    for rule in rules or []:
        condition = Condition.from_dict(rule)
        initial.append(
            {
                "min_years_in_occupation": condition.min_years_in_occupation,
                "prior_level": condition.prior_level,
                "min_years_since_prior": condition.min_years_since_prior,
                "diplomas": list(condition.diplomas),
                "final_year_student_counts": condition.final_year_student_counts,
                "apprenticeship_completed": condition.apprenticeship_completed,
                "note": condition.note,
            }
        )
    return initial
