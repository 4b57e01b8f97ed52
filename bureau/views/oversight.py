"""The bureau's view of plans as they arrive, the supervisors' plans and reports, the calendar."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import BUREAU_STAFF_ONLY, is_bureau, require
from accounts.roles import BureauRole
from bureau.permissions import SUPERVISOR_ONLY
from certify import selectors
from certify.forms import CalendarDayForm, PlanFilterForm, SupervisionReportForm
from certify.models import AssessmentPlan
from certify.permissions import CALENDAR_REFUSED, can_manage_filings, can_view_bureau_records, is_plan_supervisor
from certify.selectors import calendar_days_since
from certify.services import calendar
from certify.services.plans import supervision_report_submit
from lib.web import apply_service_errors, error_text, paginate, querystring


@require_GET
@login_required
def bureau_plan_list(request):
    require(can_view_bureau_records(request.user), BUREAU_STAFF_ONLY)
    form = PlanFilterForm(request.GET or None)
    status = query = ""
    if form.is_valid():
        status, query = form.cleaned_data["status"], form.cleaned_data["q"]
    return render(
        request,
        "bureau/bureau_plan_list.html",
        {
            "form": form,
            "page": paginate(request, selectors.plan_list_for_bureau(status=status, query=query)),
            "querystring": querystring(request),
        },
    )


@require_GET
@login_required
def supervision_list(request):
    require(is_bureau(request.user, BureauRole.SUPERVISOR), SUPERVISOR_ONLY)
    return render(request, "bureau/supervision_list.html", {"plans": selectors.plans_supervised_by(request.user)})


def _supervised_plan(request, plan_id: int) -> AssessmentPlan:
    plan = selectors.plans_supervised_by(request.user).filter(pk=plan_id).select_related("standard_level").first()
    if plan is None:
        from django.http import Http404

        raise Http404("评价计划不存在")
    return plan


@require_http_methods(["GET", "POST"])
@login_required
def supervision_report(request, plan_id: int):
    require(is_bureau(request.user, BureauRole.SUPERVISOR), SUPERVISOR_ONLY)
    plan = _supervised_plan(request, plan_id)
    require(is_plan_supervisor(request.user, plan), _("只有被指派的质量督导员可以提交督导报告"))
    form = SupervisionReportForm(request.POST or None, initial={"visited_on": plan.exam_date})
    if request.method == "POST" and form.is_valid():
        try:
            supervision_report_submit(actor=request.user, plan=plan, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("督导报告已提交。"))
            return redirect("bureau:supervision_list")
    return render(
        request,
        "bureau/supervision_report.html",
        {
            "plan": plan,
            "form": form,
            "reports": plan.supervision_reports.select_related("supervisor"),
            "assessors": selectors.plan_assessors(plan),
            "candidate_count": plan.candidate_count,
        },
    )


@require_GET
@login_required
def calendar_list(request):
    require(can_view_bureau_records(request.user), BUREAU_STAFF_ONLY)
    today = timezone.localdate()
    return render(
        request,
        "bureau/calendar.html",
        {
            "days": calendar_days_since(today.year - 1),
            "form": CalendarDayForm(),
            "can_manage": can_manage_filings(request.user),
            "warning": calendar.calendar_warning(today, today.replace(year=today.year + 1)),
        },
    )


@require_POST
@login_required
def calendar_day_set(request):
    require(can_manage_filings(request.user), CALENDAR_REFUSED)
    form = CalendarDayForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写日期并选择类型。"))
        return redirect("bureau:calendar_list")
    try:
        calendar.calendar_day_set(actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已保存 %(d)s。") % {"d": form.cleaned_data["day"].isoformat()})
    return redirect("bureau:calendar_list")
