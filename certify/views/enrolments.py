"""Candidates of a plan: registration one by one or from Excel, the candidate page, photo, 定级
approval, withdrawal, and the audited look at a full ID number."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import can_view_personal_data, require
from certify import selectors
from certify.actions import Act
from certify.forms import DirectDecisionForm, EnrolmentForm, PhotoForm, PhotoZipForm, ReasonRequiredForm
from certify.permissions import can_register_candidates
from certify.services import enrolments as services
from certify.services import imports, photo_batch
from certify.views.plan_scores import shows_values
from certify.views.plans import plan_context, refused_unless_available, require_permitted
from certify.views.uploads import run_import
from lib.web import apply_service_errors, error_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _enrolment(request, org_id: int, plan_id: int, enrolment_id: int):
    org, plan = plan_context(request, org_id, plan_id)
    return org, plan, selectors.enrolment_get(plan, enrolment_id)


def _tell_voided(request, names: list[str]) -> None:
    """A change of the roster voids the panel's recusal declarations: the clerk is told whose,
    since filing now waits for them."""
    if names:
        messages.warning(
            request,
            _(
                "有新考生加入，以下考评人员须重新提交回避声明（声明须覆盖全部考生，才能确认与新考生"
                "没有利害关系），提交后才能报备：%(names)s"
            )
            % {"names": "、".join(names)},
        )


@require_http_methods(["GET", "POST"])
@login_required
def enrolment_create(request, org_id: int, plan_id: int):
    org, plan = plan_context(request, org_id, plan_id)
    refused = refused_unless_available(request, plan, Act.REGISTER)
    if refused is not None:
        return refused
    form = EnrolmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        photo = form.cleaned_data.get("photo")
        try:
            enrolment = services.enrolment_register(
                actor=request.user, plan=plan, data=form.candidate(), photo=photo.read() if photo else None
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("已登记考生 %(name)s。") % {"name": enrolment.person.name})
            for warning in enrolment.warnings:
                messages.warning(request, warning)
            _tell_voided(request, enrolment.declarations_voided)
            return redirect(plan)
    return render(request, "certify/enrolment_form.html", {"org": org, "plan": plan, "form": form})


@require_GET
@login_required
def enrolment_detail(request, org_id: int, plan_id: int, enrolment_id: int):
    org, plan, enrolment = _enrolment(request, org_id, plan_id, enrolment_id)
    scores = selectors.plan_scores(plan).filter(enrolment=enrolment)
    independent = not shows_values(plan, request.user)  # an assessor of the plan while it is scored
    return render(
        request,
        "certify/enrolment_detail.html",
        {
            "org": org,
            "plan": plan,
            "enrolment": enrolment,
            "scores": scores.filter(assessor=request.user) if independent else scores,
            "own_scores_only": independent,
            "result": None if independent else getattr(enrolment, "result", None),
            "can_register": can_register_candidates(request.user, org),
            "withdraw": selectors.plan_action(plan, request.user, Act.WITHDRAW),
            "decide": selectors.plan_action(plan, request.user, Act.DECIDE_DIRECT),
            "registered_by_reader": enrolment.registered_by_id == request.user.pk,
            "can_see_ids": can_view_personal_data(request.user, org),
            "photo_form": PhotoForm(),
            "decision_form": DirectDecisionForm(),
            "withdraw_form": ReasonRequiredForm(),
        },
    )


@require_POST
@login_required
def enrolment_reveal_id(request, org_id: int, plan_id: int, enrolment_id: int):
    """The full ID number, for roles that need it; every look is written to the audit trail."""
    org, plan, enrolment = _enrolment(request, org_id, plan_id, enrolment_id)
    id_number = services.person_id_number_reveal(actor=request.user, enrolment=enrolment)
    response = render(
        request,
        "certify/enrolment_id.html",
        {"org": org, "plan": plan, "enrolment": enrolment, "id_number": id_number},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def enrolment_photo(request, org_id: int, plan_id: int, enrolment_id: int):
    org, plan, enrolment = _enrolment(request, org_id, plan_id, enrolment_id)
    require(can_register_candidates(request.user, org), _("您没有为本机构登记考生的权限"))
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择照片文件。"))
    else:
        try:
            services.enrolment_set_photo(
                actor=request.user, enrolment=enrolment, data=form.cleaned_data["photo"].read()
            )
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("证件照已上传。"))
    return redirect("certify:enrolment_detail", org_id=org.pk, plan_id=plan.pk, enrolment_id=enrolment.pk)


@require_GET
@login_required
def enrolment_photo_image(request, org_id: int, plan_id: int, enrolment_id: int):
    """The photo, served only to people who may see the candidate (media is never public)."""
    _org, _plan, enrolment = _enrolment(request, org_id, plan_id, enrolment_id)
    if not enrolment.photo:
        return HttpResponse(status=404)
    with enrolment.photo.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_POST
@login_required
def enrolment_decide(request, org_id: int, plan_id: int, enrolment_id: int):
    org, plan, enrolment = _enrolment(request, org_id, plan_id, enrolment_id)
    require_permitted(request, plan, Act.DECIDE_DIRECT)
    form = DirectDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择审批结果。"))
    else:
        try:
            services.direct_grading_decide(
                actor=request.user,
                enrolment=enrolment,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("定级申报已审批。"))
    return redirect("certify:enrolment_detail", org_id=org.pk, plan_id=plan.pk, enrolment_id=enrolment.pk)


@require_POST
@login_required
def enrolment_withdraw(request, org_id: int, plan_id: int, enrolment_id: int):
    org, plan, enrolment = _enrolment(request, org_id, plan_id, enrolment_id)
    require_permitted(request, plan, Act.WITHDRAW)
    form = ReasonRequiredForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        withdrawn = services.enrolment_withdraw(actor=request.user, enrolment=enrolment, reason=reason)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("certify:enrolment_detail", org_id=org.pk, plan_id=plan.pk, enrolment_id=enrolment.pk)
    messages.success(request, _("已撤回 %(name)s 的报名。") % {"name": enrolment.person.name})
    _tell_voided(request, withdrawn.declarations_voided)
    return redirect(plan)


# --- roster import ----------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@login_required
def roster_import(request, org_id: int, plan_id: int):
    org, plan = plan_context(request, org_id, plan_id)
    refused = refused_unless_available(request, plan, Act.REGISTER)
    if refused is not None:
        return refused
    form, result, errors = run_import(request, imports.roster_import, plan=plan)
    if result is not None:
        messages.success(
            request, ngettext("已导入 %(n)d 名考生。", "已导入 %(n)d 名考生。", result.created) % {"n": result.created}
        )
        for warning in result.warnings:
            messages.warning(request, warning)
        _tell_voided(request, result.declarations_voided)
        return redirect(plan)
    status = 400 if errors else 200
    return render(
        request, "certify/roster_import.html", {"org": org, "plan": plan, "form": form, "errors": errors}, status=status
    )


@require_GET
@login_required
def roster_template(request, org_id: int, plan_id: int):
    _org, plan = plan_context(request, org_id, plan_id)
    require_permitted(request, plan, Act.REGISTER)
    response = HttpResponse(imports.roster_template(), content_type=XLSX)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''roster-template.xlsx"
    return response


# --- photos for the whole plan ------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@login_required
def photos_upload(request, org_id: int, plan_id: int):
    """A zip of photos named by ID number or 工号: matched, checked and kept one by one; the page
    answers with a line per file (what was kept, what to fix)."""
    org, plan = plan_context(request, org_id, plan_id)
    require(can_register_candidates(request.user, org), _("您没有为本机构登记考生的权限"))
    form = PhotoZipForm(request.POST or None, request.FILES or None)
    lines = None
    if request.method == "POST" and form.is_valid():
        try:
            lines = photo_batch.photos_import_zip(actor=request.user, plan=plan, data=form.cleaned_data["file"].read())
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
    saved = sum(1 for line in lines or [] if line.outcome == photo_batch.SAVED)
    context = {"org": org, "plan": plan, "form": form, "lines": lines, "saved": saved}
    status = 400 if request.method == "POST" and lines is None else 200
    return render(request, "certify/photos_upload.html", context, status=status)
