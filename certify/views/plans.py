"""The plan pages of an organisation: list, create, the plan page with its step bar and
checklist, panel, transitions, objections. What the page offers, and in which state, comes from
the plan actions table (``certify.actions``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import can_view_personal_data, require
from accounts.selectors import organization_get_for_user
from certify import selectors
from certify.actions import PLAN_ACTIONS, Act, plan_shows_scores, plan_steps
from certify.conf import conf
from certify.forms import (
    AssessorAddForm,
    ObjectionForm,
    ObjectionResolveForm,
    PlanCreateForm,
    PlanFilterForm,
    ReasonRequiredForm,
    RecusalForm,
    SupervisorAssignForm,
)
from certify.models import Enrolment
from certify.permissions import can_manage_plans, can_register_candidates
from certify.services import calendar, plan_panel, plan_supervision
from certify.services import plans as services
from certify.services.publicity import objection_record, objection_resolve
from certify.views import plan_photos, plan_scores
from lib.web import apply_service_errors, error_text, paginate, querystring


def plan_context(request, org_id: int, plan_id: int):
    """The organisation and the plan, scoped: another tenant's plan is a 404 like a missing one."""
    org = organization_get_for_user(request.user, org_id)
    return org, selectors.plan_get_for_org(org, plan_id)


@require_GET
@login_required
def plan_list(request, org_id: int):
    org = organization_get_for_user(request.user, org_id)
    form = PlanFilterForm(request.GET or None)
    status = query = ""
    if form.is_valid():
        status, query = form.cleaned_data["status"], form.cleaned_data["q"]
    return render(
        request,
        "certify/plan_list.html",
        {
            "org": org,
            "form": form,
            "page": paginate(request, selectors.plan_list_for_org(org, status=status, query=query)),
            "querystring": querystring(request),
            "can_manage": can_manage_plans(request.user, org),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def plan_create(request, org_id: int):
    org = organization_get_for_user(request.user, org_id)
    require(can_manage_plans(request.user, org), _("您没有管理本机构评价计划的权限"))
    form = PlanCreateForm(request.POST or None, organization=org)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version, level = data.pop("standard")
        try:
            plan = services.plan_create(
                actor=request.user, organization=org, standard_version=version, level=level, **data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("已创建评价计划 %(n)s。请登记考生、组建考评组后报备。") % {"n": plan.number})
            return redirect(plan)
    lead = conf("PLAN_LEAD_WORKING_DAYS")
    earliest = calendar.add_working_days(timezone.localdate(), int(lead))
    return render(request, "certify/plan_form.html", {"org": org, "form": form, "earliest": earliest, "lead": lead})


def require_permitted(request, plan, key: str) -> None:
    action = PLAN_ACTIONS[key]
    require(action.permission(request.user, plan), str(action.denied))


def refused_unless_available(request, plan, key: str):
    """A page of one action: 403 without the right; in any other state, or while the action waits
    on something, back to the plan page saying why (never a form that the service would refuse)."""
    state = selectors.plan_action(plan, request.user, key)
    require(state.permitted, str(state.action.denied))
    if state.enabled:
        return None
    for reason in state.reasons:
        messages.error(request, reason)
    return redirect(plan)


@require_http_methods(["GET", "POST"])
@login_required
def plan_edit(request, org_id: int, plan_id: int):
    org, plan = plan_context(request, org_id, plan_id)
    refused = refused_unless_available(request, plan, Act.EDIT)
    if refused is not None:
        return refused
    form = PlanCreateForm.for_plan(plan, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_update(actor=request.user, plan=plan, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect(plan)
    return render(request, "certify/plan_form.html", {"org": org, "plan": plan, "form": form})


@require_GET
@login_required
def plan_detail(request, org_id: int, plan_id: int):
    org, plan = plan_context(request, org_id, plan_id)
    user = request.user
    enrolments = list(selectors.plan_enrolments(plan))
    assessors = list(selectors.plan_assessors(plan))
    available = selectors.plan_available_actions(plan, user)
    shows = plan_shows_scores(plan)
    publicity_warning = ""
    if plan.publicity_start and plan.publicity_end:
        publicity_warning = calendar.calendar_warning(plan.publicity_start, plan.publicity_end)
    return render(
        request,
        "certify/plan_detail.html",
        {
            "org": org,
            "plan": plan,
            "steps": plan_steps(plan, issued=selectors.plan_has_certificates(plan)),
            "actions": available,
            "shows_scores": shows,
            "enrolments": enrolments,
            **plan_photos.photo_context(request, plan, enrolments),
            "active_count": sum(1 for e in enrolments if e.status == Enrolment.Status.REGISTERED),
            "assessors": assessors,
            "events": plan_scores.activity(plan, user),
            **(plan_scores.score_breakdown(plan) if shows and plan_scores.shows_values(plan, user) else {}),
            "objections": selectors.plan_objections(plan),
            "supervision_reports": selectors.plan_supervision_reports(plan),
            "has_batch": selectors.plan_has_issuance(plan),
            "can_see_ids": can_view_personal_data(user, org),
            "can_register": can_register_candidates(user, org),
            "assessor_form": AssessorAddForm(organization=org),
            "cancel_form": ReasonRequiredForm(),
            "objection_form": ObjectionForm(plan=plan, initial={"received_on": timezone.localdate()}),
            "resolve_form": ObjectionResolveForm(),
            "supervisor_form": SupervisorAssignForm(initial={"supervisor": plan.supervisor_id}),
            "publicity_warning": publicity_warning,
        },
    )


@require_POST
@login_required
def plan_transition(request, org_id: int, plan_id: int, action: str):
    _org, plan = plan_context(request, org_id, plan_id)
    step = PLAN_ACTIONS.get(action)
    if step is None or not step.step or step.needs_reason:
        raise Http404("未知的操作")
    try:
        plan = step.perform(actor=request.user, plan=plan)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, step.success_text(plan))
    return redirect(plan)


@require_POST
@login_required
def plan_cancel(request, org_id: int, plan_id: int):
    _org, plan = plan_context(request, org_id, plan_id)
    form = ReasonRequiredForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.plan_cancel(actor=request.user, plan=plan, reason=reason)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, PLAN_ACTIONS[Act.CANCEL].success_text(plan))
    return redirect(plan)


# --- panel ----------------------------------------------------------------------------------
@require_POST
@login_required
def assessor_add(request, org_id: int, plan_id: int):
    org, plan = plan_context(request, org_id, plan_id)
    require_permitted(request, plan, Act.ASSESSORS)
    form = AssessorAddForm(request.POST, organization=org)
    if not form.is_valid():
        messages.error(request, _("请选择本机构的考评员和职责。"))
        return redirect(plan)
    try:
        plan_panel.assessor_add(actor=request.user, plan=plan, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已指派考评人员，请其本人登录提交回避声明。"))
    return redirect(plan)


@require_POST
@login_required
def assessor_remove(request, org_id: int, plan_id: int, assessor_id: int):
    _org, plan = plan_context(request, org_id, plan_id)
    assessor = selectors.plan_assessor_get(plan, assessor_id)
    require_permitted(request, plan, Act.ASSESSORS)
    try:
        plan_panel.assessor_remove(actor=request.user, assessor=assessor)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已移除考评人员。"))
    return redirect(plan)


@require_http_methods(["GET", "POST"])
@login_required
def recusal_declare(request, org_id: int, plan_id: int, assessor_id: int):
    org, plan = plan_context(request, org_id, plan_id)
    assessor = selectors.plan_assessor_get(plan, assessor_id)
    require(assessor.user_id == request.user.pk, _("回避声明须由考评人员本人提交"))
    refused = refused_unless_available(request, plan, Act.DECLARE_RECUSAL)
    if refused is not None:
        return refused
    enrolments = selectors.plan_enrolments(plan).filter(status=Enrolment.Status.REGISTERED)
    current = {r.enrolment_id: r.relation for r in assessor.relations.all()}
    initial = {f"rel_{k}": v for k, v in current.items()}
    form = RecusalForm(request.POST or None, enrolments=enrolments, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            plan_panel.recusal_declare(
                actor=request.user,
                assessor=assessor,
                relations=form.relations(),
                statement=form.cleaned_data["statement"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("回避声明已提交。"))
            return redirect(plan)
    return render(request, "certify/recusal_form.html", {"org": org, "plan": plan, "assessor": assessor, "form": form})


# --- publicity ------------------------------------------------------------------------------
@require_POST
@login_required
def objection_add(request, org_id: int, plan_id: int):
    _org, plan = plan_context(request, org_id, plan_id)
    require_permitted(request, plan, Act.RECORD_OBJECTION)
    form = ObjectionForm(request.POST, plan=plan)
    if not form.is_valid():
        messages.error(request, _("请完整填写异议人、收到日期和异议内容。"))
        return redirect(plan)
    try:
        objection_record(actor=request.user, plan=plan, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已登记异议。处理完毕前评价计划不能结束。"))
    return redirect(plan)


@require_POST
@login_required
def objection_decide(request, org_id: int, plan_id: int, objection_id: int):
    _org, plan = plan_context(request, org_id, plan_id)
    objection = selectors.plan_objection_get(plan, objection_id)
    require_permitted(request, plan, Act.RESOLVE_OBJECTION)
    form = ObjectionResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择处理结果并填写处理意见。"))
        return redirect(plan)
    try:
        objection_resolve(
            actor=request.user,
            objection=objection,
            upheld=form.cleaned_data["decision"] == "upheld",
            resolution=form.cleaned_data["resolution"],
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("异议已办结。"))
    return redirect(plan)


# --- bureau ---------------------------------------------------------------------------------
@require_POST
@login_required
def supervisor_assign(request, org_id: int, plan_id: int):
    _org, plan = plan_context(request, org_id, plan_id)
    require_permitted(request, plan, Act.ASSIGN_SUPERVISOR)
    form = SupervisorAssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择质量督导员。"))
        return redirect(plan)
    try:
        plan_supervision.plan_assign_supervisor(
            actor=request.user, plan=plan, supervisor=form.cleaned_data["supervisor"]
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已指派质量督导员。"))
    return redirect(plan)
