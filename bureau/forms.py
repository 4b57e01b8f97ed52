"""The bureau's filter and rule forms: statistics filters, the subsidy year and organisation, and a
year's subsidy rule (one amount per configured level)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organization
from bureau import stats
from bureau.subsidies import MAX_YEAR, MIN_YEAR
from certify.models import Occupation
from lib.levels import all_levels, level_choices, level_label

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OccupationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name}（{obj.code}）"


class StatsFilterForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("发证日期自"), required=False, widget=DATE)
    date_to = forms.DateField(label=gettext_lazy("至"), required=False, widget=DATE)
    organization = forms.ModelChoiceField(
        label=gettext_lazy("评价机构"),
        queryset=Organization.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("全部机构"),
    )
    occupation = OccupationChoiceField(
        label=gettext_lazy("职业"),
        queryset=Occupation.objects.order_by("code", "edition"),
        required=False,
        empty_label=gettext_lazy("全部职业"),
    )
    level = forms.TypedChoiceField(label=gettext_lazy("等级"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [("", _("全部等级")), *level_choices()]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("结束日期不能早于开始日期，请重新选择"))
        return data

    def filters(self) -> stats.StatsFilter:
        data = self.cleaned_data
        return stats.StatsFilter(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            organization_id=data["organization"].pk if data.get("organization") else None,
            occupation_id=data["occupation"].pk if data.get("occupation") else None,
            level=data.get("level"),
        )

    def describe(self) -> list[tuple[str, str]]:
        """The chosen filters in words, for the export's first sheet."""
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        dates = f"{start.isoformat() if start else _('不限')} — {end.isoformat() if end else _('不限')}"
        level = data.get("level")
        return [
            (_("发证日期"), dates),
            (_("评价机构"), data["organization"].name if data.get("organization") else _("全部机构")),
            (
                _("职业"),
                self.fields["occupation"].label_from_instance(data["occupation"])
                if data.get("occupation")
                else _("全部职业"),
            ),
            (_("等级"), stats.level_label(level) if level else _("全部等级")),
        ]


class SubsidyFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("年度"), coerce=int)
    organization = forms.ModelChoiceField(
        label=gettext_lazy("评价机构"),
        queryset=Organization.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("全部机构"),
    )

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, _("%(y)s 年度") % {"y": y}) for y in years]


def _money_errors(min_value: str) -> dict:
    return {
        "required": _("请填写金额（元），不补贴的等级请填 0"),
        "min_value": min_value,
        "invalid": _("请填写金额（元），如 1500 或 1500.50"),
        "max_decimal_places": _("金额最多保留两位小数（分）"),
        "max_digits": _("金额过大，请核对"),
        "max_whole_digits": _("金额过大，请核对"),
    }


class SubsidyRuleForm(forms.Form):
    """One amount field per configured level (``amount_<code>``), then uplift, level and cap."""

    year = forms.IntegerField(widget=forms.HiddenInput, min_value=MIN_YEAR, max_value=MAX_YEAR)
    shortage_uplift_percent = forms.IntegerField(
        label=gettext_lazy("急需紧缺职业上浮（%）"),
        min_value=0,
        max_value=100,
        error_messages={
            "required": gettext_lazy("请填写上浮比例，不上浮填 0"),
            "invalid": gettext_lazy("上浮比例应为 0 到 100 之间的整数"),
            "min_value": gettext_lazy("上浮比例应为 0 到 100 之间的整数"),
            "max_value": gettext_lazy("上浮比例应为 0 到 100 之间的整数"),
        },
        help_text=gettext_lazy("省级政策：急需紧缺职业三级及以上证书最高上浮 30%；不上浮填 0"),
    )
    shortage_max_level = forms.TypedChoiceField(
        label=gettext_lazy("上浮适用等级（该等级及以上）"),
        coerce=int,
        help_text=gettext_lazy("选“三级/高级工”表示三级、二级、一级证书均可上浮"),
    )
    organization_annual_cap = forms.DecimalField(
        label=gettext_lazy("每家机构年度上限（元）"),
        min_value=Decimal("0.01"),
        decimal_places=2,
        max_digits=12,
        help_text=gettext_lazy("东莞市现行政策：每家企业最高 850,000 元"),
        error_messages={
            "required": gettext_lazy("请填写每家机构年度上限（元）"),
            "min_value": gettext_lazy("年度上限应大于 0"),
            "invalid": gettext_lazy("请填写金额（元），如 850000"),
            "max_decimal_places": gettext_lazy("金额最多保留两位小数（分）"),
            "max_digits": gettext_lazy("金额过大，请核对"),
            "max_whole_digits": gettext_lazy("金额过大，请核对"),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shortage_max_level"].choices = level_choices()
        for item in all_levels():
            self.fields[f"amount_{item.code}"] = forms.DecimalField(
                label=_("%(level)s 每证补贴（元）") % {"level": level_label(item.code)},
                min_value=Decimal("0"),
                decimal_places=2,
                max_digits=10,
                help_text=_("不补贴的等级填 0"),
                error_messages=_money_errors(_("每证补贴不能小于 0，不补贴的等级请填 0")),
            )
        # the amounts first, in the order the levels are configured
        self.order_fields(["year", *(f"amount_{item.code}" for item in all_levels())])

    @property
    def amount_names(self) -> str:
        return ",".join(name for name in self.fields if name.startswith("amount_"))

    def rule_data(self) -> dict:
        data = self.cleaned_data
        return {
            "year": data["year"],
            "amounts": {int(name.split("_", 1)[1]): data[name] for name in self.fields if name.startswith("amount_")},
            "shortage_uplift_percent": data["shortage_uplift_percent"],
            "shortage_max_level": data["shortage_max_level"],
            "organization_annual_cap": data["organization_annual_cap"],
        }
