"""The bureau's statistics dashboard and subsidy report, each with its Excel export.

Bureau admins and auditors read and export; only the bureau admin changes a subsidy rule.
Organisation users and supervisors get 403. Every export is written to the audit trail
(``CONSOLE_EXPORTED``) before the file leaves.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Organization
from accounts.permissions import is_bureau_reader, require
from audit.models import SubsidyRule
from bureau import services, stats
from bureau.forms import StatsFilterForm, SubsidyFilterForm, SubsidyRuleForm
from bureau.permissions import SUBSIDY_RULES_REFUSED, can_edit_subsidy_rules
from bureau.subsidies import (
    amounts_from_json,
    subsidy_notes,
    subsidy_report,
    subsidy_rule_for,
    subsidy_rule_set,
    subsidy_rule_template,
    subsidy_rule_years,
)
from lib.charts import Series, bar_chart, line_chart
from lib.levels import all_levels, level_label
from lib.web import apply_service_errors, error_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLE_ROWS = 20  # longer lists (occupations, organisations) are complete in the export
CHART_BARS = 15


def _require_reader(request) -> None:
    require(is_bureau_reader(request.user), _("此页面仅供人社局管理员和审计人员使用"))


# --- forms ----------------------------------------------------------------------------------
def _filter_form(request) -> StatsFilterForm:
    """The filters from the query; a page opened without any starts at the last twelve months."""
    if request.GET:
        return StatsFilterForm(request.GET)
    default = stats.default_filter()
    return StatsFilterForm({"date_from": default.date_from.isoformat(), "date_to": default.date_to.isoformat()})


def _valid_filters(form: StatsFilterForm) -> stats.StatsFilter:
    if form.is_valid():
        return form.filters()
    return stats.default_filter()


# --- the dashboard --------------------------------------------------------------------------
def _svg(markup: str):
    # audit.charts escapes every text it draws, so its markup is safe to insert as it is
    return mark_safe(markup)


def _count_bars(title: str, rows: list[stats.CountRow], x_label: str, chart_id: str, **extra) -> str:
    return _svg(
        bar_chart(
            title=title,
            labels=[r.label for r in rows],
            values=[r.total for r in rows],
            x_label=x_label,
            y_label=_("证书数（张）"),
            chart_id=chart_id,
            **extra,
        )
    )


def _charts(overview: stats.StatsOverview) -> dict:
    months = overview.months
    series = [Series(_("证书数"), [r.total for r in months])]
    if any(r.revoked for r in months):
        series.append(Series(_("其中已撤销"), [r.revoked for r in months]))
    rated = sorted((r for r in overview.pass_by_organization if r.sat), key=lambda r: (-r.sat, r.label))[:CHART_BARS]
    return {
        "months": _svg(
            line_chart(
                title=_("按月发证数量"),
                labels=[r.label for r in months],
                series=series,
                x_label=_("发证月份"),
                y_label=_("证书数（张）"),
                chart_id="chart-months",
            )
        ),
        "levels": _count_bars(_("按职业技能等级"), overview.levels, _("职业技能等级"), "chart-levels"),
        "occupations": _count_bars(
            _("发证最多的职业"), overview.occupations[:CHART_BARS], _("职业"), "chart-occupations", horizontal=True
        ),
        "organizations": _count_bars(
            _("发证最多的评价机构"),
            overview.organizations[:CHART_BARS],
            _("评价机构"),
            "chart-organizations",
            horizontal=True,
        ),
        "shortage": _count_bars(
            _("急需紧缺职业与其他职业"), overview.shortage, _("职业类别"), "chart-shortage", height=240
        ),
        "pass_rates": _svg(
            bar_chart(
                title=_("各评价机构合格率"),
                labels=[r.label for r in rated],
                values=[r.rate for r in rated],
                x_label=_("评价机构"),
                y_label=_("合格率（%）"),
                unit="%",
                decimals=1,
                horizontal=True,
                chart_id="chart-pass-rates",
            )
        ),
    }


@require_GET
@login_required
def stats_dashboard(request):
    _require_reader(request)
    form = _filter_form(request)
    overview = stats.stats_overview(_valid_filters(form))
    pass_rows = sorted(overview.pass_by_organization, key=lambda r: (-r.sat, r.label))
    return render(
        request,
        "bureau/stats_dashboard.html",
        {
            "form": form,
            "overview": overview,
            "charts": _charts(overview),
            "occupations": overview.occupations[:TABLE_ROWS],
            "organizations": overview.organizations[:TABLE_ROWS],
            "pass_rows": pass_rows[:TABLE_ROWS],
            "pass_total": stats.sum_pass_rows(overview.pass_by_organization),
            "shortage_total": sum(r.total for r in overview.shortage if r.is_shortage),
            "more_occupations": len(overview.occupations) > TABLE_ROWS,
            "more_organizations": len(overview.organizations) > TABLE_ROWS,
            "more_pass": len(pass_rows) > TABLE_ROWS,
            "notes": stats.counting_notes(),
            "export_query": request.GET.urlencode() if request.GET else urlencode(form.data),
        },
    )


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@login_required
def stats_export(request):
    _require_reader(request)
    form = _filter_form(request)
    if not form.is_valid():
        messages.error(request, _("筛选条件有误，请修改后再导出。"))
        return redirect(f"{reverse('bureau:stats')}?{request.GET.urlencode()}")
    content = services.stats_export(actor=request.user, filters=form.filters(), filter_text=form.describe())
    return _xlsx(content, f"certificate-stats-{timezone.localdate():%Y%m%d}.xlsx")


# --- subsidies ------------------------------------------------------------------------------
def _rule_initial(year: int, rule: SubsidyRule | None) -> dict:
    initial: dict = {"year": year, "shortage_uplift_percent": 30, "shortage_max_level": 3}
    if rule is None:
        return initial
    initial.update(
        shortage_uplift_percent=rule.shortage_uplift_percent,
        shortage_max_level=rule.shortage_max_level,
        organization_annual_cap=rule.organization_annual_cap,
    )
    for code, amount in amounts_from_json(rule.amounts).items():
        initial[f"amount_{code}"] = amount
    return initial


def _years() -> list[int]:
    this_year = timezone.localdate().year
    years = subsidy_rule_years()
    years.update(range(this_year - 4, this_year + 2))
    return sorted(years, reverse=True)


def _subsidy_filters(request, years: list[int]) -> tuple[SubsidyFilterForm, int, Organization | None]:
    this_year = timezone.localdate().year
    data = request.GET.copy()
    data.setdefault("year", str(this_year))
    form = SubsidyFilterForm(data, years=years)
    if form.is_valid():
        return form, form.cleaned_data["year"], form.cleaned_data["organization"]
    return form, this_year, None


def _subsidy_chart(report) -> str:
    top = report.organizations[:CHART_BARS]
    return _svg(
        bar_chart(
            title=_("应补金额最多的评价机构"),
            labels=[o.organization_name for o in top],
            values=[o.capped for o in top],
            x_label=_("评价机构"),
            y_label=_("应补金额（元，封顶后）"),
            decimals=0,
            horizontal=True,
            chart_id="chart-subsidies",
        )
    )


def yuan(value: Decimal | None) -> str:
    """850,000.00: the zh-hans locale groups no digits, but a clerk checking sums needs them."""
    return "" if value is None else f"{value:,.2f}"


def _report_display(report) -> dict:
    if report is None:
        return {}
    return {
        "totals": {"uncapped": yuan(report.uncapped_total), "capped": yuan(report.capped_total)},
        "level_rows": [
            {
                "label": line.level_label,
                "count": line.count,
                "shortage": line.shortage_count,
                "amount": yuan(line.amount),
                "uplifted": yuan(line.uplifted_amount),
                "subtotal": yuan(line.subtotal),
            }
            for line in report.by_level()
        ],
        "org_rows": [
            {
                "name": o.organization_name,
                "count": o.certificate_count,
                "uplifted": o.uplifted_count,
                "uncapped": yuan(o.uncapped),
                "capped": yuan(o.capped),
                "cap_applied": o.cap_applied,
            }
            for o in report.organizations
        ],
    }


def _rule_display(rule: SubsidyRule | None) -> dict:
    if rule is None:
        return {}
    amounts = amounts_from_json(rule.amounts)
    return {
        "rule_amounts": [(level_label(item.code), yuan(amounts.get(item.code))) for item in all_levels()],
        "rule_max_level": stats.level_label(rule.shortage_max_level),
        "rule_cap": yuan(Decimal(rule.organization_annual_cap)),
    }


def _subsidy_url(year: int, organization: Organization | None = None) -> str:
    query = {"year": year}
    if organization is not None:
        query["organization"] = organization.pk
    return f"{reverse('bureau:subsidies')}?{urlencode(query)}"


@require_http_methods(["GET", "POST"])
@login_required
def subsidy_page(request):
    _require_reader(request)
    can_edit = can_edit_subsidy_rules(request.user)
    years = _years()
    filter_form, year, organization = _subsidy_filters(request, years)
    rule_form = None
    if request.method == "POST":
        require(can_edit, SUBSIDY_RULES_REFUSED)
        rule_form = SubsidyRuleForm(request.POST)
        if rule_form.is_valid():
            try:
                rule = subsidy_rule_set(actor=request.user, **rule_form.rule_data())
            except ValidationError as exc:
                apply_service_errors(rule_form, exc)
            else:
                messages.success(request, _("已保存 %(y)s 年度补贴标准，下表已按新标准测算。") % {"y": rule.year})
                return redirect(_subsidy_url(rule.year, organization))
        year = rule_form.cleaned_data.get("year") or year
    rule = subsidy_rule_for(year)
    template = None if rule is not None else subsidy_rule_template(year)
    if can_edit and rule_form is None:
        rule_form = SubsidyRuleForm(initial=_rule_initial(year, rule or template))
    report, missing = None, ""
    try:
        report = subsidy_report(year=year, organization=organization)
    except ValidationError as exc:
        missing = error_text(exc)
    return render(
        request,
        "bureau/subsidy_report.html",
        {
            "filter_form": filter_form,
            "year": year,
            "organization": organization,
            "rule": rule,
            "template_rule": template,
            "rule_form": rule_form,
            "can_edit": can_edit,
            "report": report,
            **_report_display(report),
            **_rule_display(rule),
            "missing": missing,
            "chart": _subsidy_chart(report) if report else "",
            "notes": subsidy_notes(report),
            "export_query": urlencode({"year": year, **({"organization": organization.pk} if organization else {})}),
        },
    )


@require_GET
@login_required
def subsidy_export(request):
    _require_reader(request)
    _form, year, organization = _subsidy_filters(request, _years())
    try:
        report = subsidy_report(year=year, organization=organization)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect(_subsidy_url(year, organization))
    content = services.subsidy_report_export(actor=request.user, report=report, organization=organization)
    return _xlsx(content, f"subsidies-{year}.xlsx")
