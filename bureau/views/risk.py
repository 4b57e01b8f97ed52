"""The bureau's risk screens: the flags (filters, counts per rule, 立即扫描, Excel export), one flag
with its evidence and the handling forms, and the thresholds. Bureau readers see everything; only
the bureau admin changes anything."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Organization
from accounts.permissions import BUREAU_STAFF_ONLY, require
from audit.models import RiskFlag, RiskSettings
from bureau import dispatch, risk
from bureau.permissions import RISK_HANDLING_REFUSED, RISK_SETTINGS_REFUSED, can_handle_risk, can_view_risk
from lib.web import apply_service_errors, error_text, paginate, querystring

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RiskFilterForm(forms.Form):
    rule = forms.ChoiceField(
        label=gettext_lazy("规则"), required=False, choices=[("", gettext_lazy("全部")), *RiskFlag.Rule.choices]
    )
    status = forms.ChoiceField(
        label=gettext_lazy("状态"), required=False, choices=[("", gettext_lazy("全部")), *RiskFlag.Status.choices]
    )
    organization = forms.ModelChoiceField(
        label=gettext_lazy("评价机构"),
        queryset=Organization.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("全部"),
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("处理说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


HELP = {
    "identical_min_candidates": gettext_lazy("有成绩的考生不少于该人数的计划才检查雷同"),
    "identical_share_percent": gettext_lazy(
        "全部成绩（每位考评员、每个项目）与其他考生完全相同的考生占比达到该值即提示"
    ),
    "full_pass_min_candidates": gettext_lazy("参评考生（不含缺考）超过该人数且全部合格即提示"),
    "assessor_daily_limit": gettext_lazy("同一考评员一天内提交操作技能或综合评审成绩的考生超过该人数即提示"),
    "direct_share_percent": gettext_lazy("已报备计划中定级申报考生占比超过该值即提示"),
    "direct_min_candidates": gettext_lazy("报名考生不少于该人数的计划才检查定级占比"),
    "revocation_limit": gettext_lazy("同一机构在统计天数内撤销证书达到该张数即提示"),
    "revocation_window_days": gettext_lazy("向前统计的天数"),
}


class RiskSettingsForm(forms.Form):
    """One whole-number field per threshold, labelled as on the model; read-only for the auditor."""

    def __init__(self, *args, read_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (low, high) in risk.THRESHOLDS.items():
            self.fields[name] = forms.IntegerField(
                label=RiskSettings._meta.get_field(name).verbose_name,
                help_text=HELP[name],
                min_value=low,
                max_value=high,
                disabled=read_only,
            )


def _require_reader(request) -> None:
    require(can_view_risk(request.user), BUREAU_STAFF_ONLY)


def _require_handler(request) -> None:
    _require_reader(request)
    require(can_handle_risk(request.user), RISK_HANDLING_REFUSED)


def _filtered(request) -> tuple[RiskFilterForm, dict, object]:
    form = RiskFilterForm(request.GET or None)
    chosen = {"rule": "", "status": "", "organization": None}
    if form.is_valid():
        chosen.update({k: form.cleaned_data[k] or chosen[k] for k in chosen})
    return form, chosen, risk.risk_flag_list(**chosen)


@require_GET
@login_required
def risk_flag_list(request):
    _require_reader(request)
    form, _chosen, flags = _filtered(request)
    return render(
        request,
        "bureau/risk_flag_list.html",
        {
            "form": form,
            "page": paginate(request, flags),
            "querystring": querystring(request),
            "counts": risk.risk_rule_counts(),
            "can_handle": can_handle_risk(request.user),
        },
    )


@require_GET
@login_required
def risk_flag_export(request):
    _require_reader(request)
    _form, chosen, flags = _filtered(request)
    filters = {k: (v.pk if isinstance(v, Organization) else v) for k, v in chosen.items()}
    data = risk.risk_flag_export(actor=request.user, flags=flags, filters=filters)
    response = HttpResponse(data, content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''risk-flags-{stamp}.xlsx"
    return response


@require_POST
@login_required
def risk_scan_now(request):
    _require_handler(request)
    dispatch.scan_risks()
    messages.success(request, _("已提交风险扫描；新发现的风险提示将出现在列表中，请稍后刷新。"))
    return redirect("bureau:risk_flag_list")


@require_GET
@login_required
def risk_flag_detail(request, flag_id: int):
    _require_reader(request)
    flag = risk.risk_flag_get(flag_id)
    return render(
        request,
        "bureau/risk_flag_detail.html",
        {
            "flag": flag,
            "facts": (flag.evidence or {}).get("facts") or [],
            "links": risk.flag_links(flag),
            "events": risk.flag_events(flag),
            "can_handle": can_handle_risk(request.user),
            "note_form": NoteForm(),
        },
    )


def _flag_action(request, flag_id: int, action, success: str):
    _require_handler(request)
    flag = get_object_or_404(RiskFlag, pk=flag_id)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        action(flag, note)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, success)
    return redirect("bureau:risk_flag_detail", flag_id=flag.pk)


@require_POST
@login_required
def risk_flag_acknowledge(request, flag_id: int):
    return _flag_action(
        request,
        flag_id,
        lambda flag, note: risk.risk_flag_acknowledge(actor=request.user, flag=flag, note=note),
        _("已标记为已知悉。"),
    )


@require_POST
@login_required
def risk_flag_resolve(request, flag_id: int):
    return _flag_action(
        request,
        flag_id,
        lambda flag, note: risk.risk_flag_resolve(actor=request.user, flag=flag, note=note),
        _("已标记为已处理。"),
    )


@require_http_methods(["GET", "POST"])
@login_required
def risk_settings(request):
    _require_reader(request)
    can_handle = can_handle_risk(request.user)
    if request.method == "POST":
        require(can_handle, RISK_SETTINGS_REFUSED)
    current = risk.risk_settings_get()
    initial = {name: getattr(current, name) for name in risk.THRESHOLDS}
    form = RiskSettingsForm(request.POST or None, initial=initial, read_only=not can_handle)
    if request.method == "POST" and form.is_valid():
        try:
            risk.risk_settings_update(actor=request.user, **{k: form.cleaned_data[k] for k in risk.THRESHOLDS})
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("风险规则阈值已保存，下次扫描起生效。"))
            return redirect("bureau:risk_settings")
    return render(
        request,
        "bureau/risk_settings.html",
        {"form": form, "can_handle": can_handle, "updated_at": current.updated_at},
    )
