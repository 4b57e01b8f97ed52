"""Certificates of an organisation: issuing a closed plan with live progress, the certificate page,
its life (revoke, suspend, reinstate, 补发, correct), PDFs served through permission checks, the seal."""

import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import BUREAU_STAFF_ONLY, is_bureau_reader, require
from accounts.selectors import organization_get_for_user
from certify.models import Certificate, IssuanceBatch
from certify.permissions import (
    CHANGE_CERTIFICATES_REFUSED,
    CORRECT_REFUSED,
    ISSUE_REFUSED,
    REVOCATION_DECIDE_REFUSED,
    SEAL_REFUSED,
    can_change_certificates,
    can_decide_revocations,
    can_export,
    can_issue,
    can_upload_seal,
)
from certify.selectors import (
    certificate_get_for_org,
    certificate_get_for_plan,
    certificate_list_for_bureau,
    certificate_list_for_org,
    certificate_versions,
    issuance_batch_for_plan,
    revocation_request_get,
    revocation_request_pending,
    revocation_requests_decided,
    revocation_requests_pending,
    seal_for_org,
)
from certify.services import certificates as lifecycle
from certify.services import issuing, payload, recovery, rendering, revocation
from certify.services import supplied_numbers as province_numbers
from certify.views.plans import plan_context
from certify.views.uploads import run_import
from lib.web import error_text, paginate, querystring


class RevokeForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("原因类别"), choices=Certificate.RevokeReason.choices)
    reason = forms.CharField(label=gettext_lazy("具体原因"), widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("原因"), widget=forms.Textarea(attrs={"rows": 2}))


class CorrectForm(forms.Form):
    holder_name = forms.CharField(label=gettext_lazy("姓名"), max_length=60)
    work_type_name = forms.CharField(
        label=gettext_lazy("工种/职业方向"), max_length=100, required=False, help_text=gettext_lazy("无工种时填 --")
    )
    reason = forms.CharField(label=gettext_lazy("更正原因"), widget=forms.Textarea(attrs={"rows": 2}))


class SealForm(forms.Form):
    image = forms.FileField(
        label=gettext_lazy("印章图片"), help_text=gettext_lazy("白底或透明背景的 PNG，印迹清晰，不超过 2 MB")
    )


def _certificate(request, org_id: int, certificate_id: int):
    org = organization_get_for_user(request.user, org_id)
    return org, certificate_get_for_org(org, certificate_id)


# --- issuing ----------------------------------------------------------------------------------
@require_POST
@login_required
def issuance_start(request, org_id: int, plan_id: int):
    org, plan = plan_context(request, org_id, plan_id)
    require(can_issue(request.user, org), ISSUE_REFUSED)
    try:
        issuing.issuance_request(actor=request.user, plan=plan)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(plan)
    messages.success(request, _("已开始核发证书，编号和签名完成后逐一生成 PDF。"))
    return redirect("certify:issuance_progress", org_id=org.pk, plan_id=plan.pk)


def _batch(plan) -> IssuanceBatch:
    batch = issuance_batch_for_plan(plan)
    if batch is None:
        raise Http404("尚未核发证书")
    return batch


@require_GET
@login_required
def issuance_progress(request, org_id: int, plan_id: int):
    org, plan = plan_context(request, org_id, plan_id)
    batch = _batch(plan)
    certificates = batch.certificates.order_by("number").select_related("person")
    return render(
        request,
        "certify/issuance_progress.html",
        {
            "org": org,
            "plan": plan,
            "batch": batch,
            "progress": rendering.batch_progress(batch),
            "failed": certificates.filter(pdf_status=Certificate.PdfStatus.FAILED),
            "certificates": certificates,
            "can_issue": can_issue(request.user, org),
            "can_retry": batch.status == IssuanceBatch.Status.FAILED and can_issue(request.user, org),
        },
    )


@require_GET
@login_required
def issuance_progress_json(request, org_id: int, plan_id: int):
    _org, plan = plan_context(request, org_id, plan_id)
    response = JsonResponse(rendering.batch_progress(_batch(plan)))
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def certificate_retry(request, org_id: int, plan_id: int, certificate_id: int):
    org, plan = plan_context(request, org_id, plan_id)
    certificate = certificate_get_for_plan(plan, certificate_id)
    require(can_issue(request.user, org), ISSUE_REFUSED)
    try:
        rendering.certificate_pdf_retry(actor=request.user, certificate=certificate)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已重新生成 %(n)s。") % {"n": certificate.number})
    return redirect("certify:issuance_progress", org_id=org.pk, plan_id=plan.pk)


@require_POST
@login_required
def issuance_retry(request, org_id: int, plan_id: int):
    """A failed batch again: its allocation if that never finished, every failed PDF, the print file."""
    org, plan = plan_context(request, org_id, plan_id)
    require(can_issue(request.user, org), ISSUE_REFUSED)
    try:
        recovery.issuance_retry(actor=request.user, batch=_batch(plan))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已重新开始处理出错的部分，请稍候。"))
    return redirect("certify:issuance_progress", org_id=org.pk, plan_id=plan.pk)


def _send(download: lifecycle.Download):
    content = download.content
    if isinstance(content, bytes):
        content = io.BytesIO(content)
    response = FileResponse(content, content_type="application/pdf", as_attachment=True, filename=download.filename)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@login_required
def issuance_combined_pdf(request, org_id: int, plan_id: int):
    _org, plan = plan_context(request, org_id, plan_id)
    try:
        return _send(lifecycle.batch_download(actor=request.user, batch=_batch(plan)))
    except ValidationError as exc:
        raise Http404(error_text(exc)) from exc


@require_http_methods(["GET", "POST"])
@login_required
def supplied_numbers(request, org_id: int, plan_id: int):
    """Numbers the provincial system assigned, uploaded before issuing (optional)."""
    org, plan = plan_context(request, org_id, plan_id)
    require(can_issue(request.user, org), ISSUE_REFUSED)
    form, count, errors = run_import(request, province_numbers.supplied_numbers_import, plan=plan)
    if count is not None:
        messages.success(request, _("已导入 %(n)d 个省级下发的证书编号，核发时将使用这些编号。") % {"n": count})
        return redirect(plan)
    return render(
        request,
        "certify/supplied_numbers.html",
        {"org": org, "plan": plan, "form": form, "errors": errors},
        status=400 if errors else 200,
    )


# --- the organisation's certificates ---------------------------------------------------------
@require_GET
@login_required
def certificate_list(request, org_id: int):
    org = organization_get_for_user(request.user, org_id)
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    return render(
        request,
        "certify/certificate_list.html",
        {
            "org": org,
            "page": paginate(request, certificate_list_for_org(org, query=query, status=status)),
            "query": query,
            "status": status,
            "statuses": Certificate.Status.choices,
            "querystring": querystring(request),
            "can_export": can_export(request.user, org),
            # what waits for this approver (not their own requests)
            "revocations_waiting": revocation_requests_pending(org).exclude(requested_by=request.user)
            if can_decide_revocations(request.user, org)
            else [],
        },
    )


@require_GET
@login_required
def certificate_detail(request, org_id: int, certificate_id: int):
    org, certificate = _certificate(request, org_id, certificate_id)
    can_change = can_change_certificates(request.user, org)
    return render(
        request,
        "certify/certificate_detail.html",
        {
            "org": org,
            "certificate": certificate,
            "versions": certificate_versions(certificate),
            "verify_url": payload.verify_url(certificate),
            "can_change": can_change,
            "revoke_form": RevokeForm(),
            "reason_form": ReasonForm(),
            **_revocation_context(request.user, org, certificate),
        },
    )


def _revocation_context(user, org, certificate) -> dict:
    pending = revocation_request_pending(certificate)
    return {
        "revocation_pending": pending,
        "revocation_by_request": lifecycle.revocation_needs_approval(user, org),
        "can_decide_revocation": pending is not None
        and can_decide_revocations(user, org)
        and pending.requested_by_id != user.pk,
        "revocation_decided": revocation_requests_decided(certificate),
        "decision_form": RevocationDecisionForm(),
    }


@require_GET
@login_required
def certificate_pdf(request, org_id: int, certificate_id: int):
    """The full PDF for roles with the personal-data right; a 仅供查阅 copy for everyone else."""
    _org, certificate = _certificate(request, org_id, certificate_id)
    try:
        return _send(lifecycle.certificate_download(actor=request.user, certificate=certificate))
    except ValidationError as exc:
        raise Http404(error_text(exc)) from exc


def _lifecycle(request, org_id, certificate_id, action, success):
    org, certificate = _certificate(request, org_id, certificate_id)
    require(can_change_certificates(request.user, org), CHANGE_CERTIFICATES_REFUSED)
    try:
        result = action(certificate)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect(certificate)
    messages.success(request, success)
    return redirect(result or certificate)


@require_POST
@login_required
def certificate_revoke(request, org_id: int, certificate_id: int):
    """Revoke in one step (the bureau; or anyone while approval is off), else ask for approval."""
    form = RevokeForm(request.POST)
    org = organization_get_for_user(request.user, org_id)
    by_request = lifecycle.revocation_needs_approval(request.user, org)

    def act(certificate):
        if not form.is_valid():
            raise ValidationError(_("请选择原因类别并填写具体原因"))
        if by_request:
            revocation.revocation_request(actor=request.user, certificate=certificate, **form.cleaned_data)
            return None
        return lifecycle.certificate_revoke(actor=request.user, certificate=certificate, **form.cleaned_data)

    if by_request:
        done = _("已提交撤销申请。审核人或机构管理员批准后证书才撤销，在此之前证书状态不变。")
    else:
        done = _("证书已撤销，扫码查询将显示“已撤销”。")
    return _lifecycle(request, org_id, certificate_id, act, done)


class RevocationDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", gettext_lazy("批准")), ("refuse", gettext_lazy("不批准"))])
    note = forms.CharField(
        label=gettext_lazy("审批意见"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("不批准时须写明理由"),
    )


@require_POST
@login_required
def certificate_revocation_decide(request, org_id: int, certificate_id: int, request_id: int):
    """A reviewer or the organisation's admin approves or refuses a revocation request."""
    org, certificate = _certificate(request, org_id, certificate_id)
    pending = revocation_request_get(certificate, request_id)
    require(can_decide_revocations(request.user, org), REVOCATION_DECIDE_REFUSED)
    form = RevocationDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择批准或不批准"))
        return redirect(certificate)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        revocation.revocation_decide(
            actor=request.user, request=pending, approve=approve, note=form.cleaned_data["note"]
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect(certificate)
    if approve:
        messages.success(request, _("已批准撤销申请，证书已撤销，扫码查询将显示“已撤销”。"))
    else:
        messages.success(request, _("已不批准撤销申请，证书状态不变，申请人可在证书页面看到理由。"))
    return redirect(certificate)


def _reason(request) -> str:
    form = ReasonForm(request.POST)
    return form.cleaned_data["reason"] if form.is_valid() else ""


@require_POST
@login_required
def certificate_suspend(request, org_id: int, certificate_id: int):
    return _lifecycle(
        request,
        org_id,
        certificate_id,
        lambda c: lifecycle.certificate_suspend(actor=request.user, certificate=c, reason=_reason(request)),
        _("证书已暂停。"),
    )


@require_POST
@login_required
def certificate_reinstate(request, org_id: int, certificate_id: int):
    return _lifecycle(
        request,
        org_id,
        certificate_id,
        lambda c: lifecycle.certificate_reinstate(actor=request.user, certificate=c, reason=_reason(request)),
        _("证书已恢复有效。"),
    )


@require_POST
@login_required
def certificate_reissue(request, org_id: int, certificate_id: int):
    return _lifecycle(
        request,
        org_id,
        certificate_id,
        lambda c: lifecycle.certificate_reissue(actor=request.user, certificate=c, reason=_reason(request)),
        _("已补发：证书编号和二维码不变，打印序号加一，正在生成新的 PDF。"),
    )


@require_http_methods(["GET", "POST"])
@login_required
def certificate_correct(request, org_id: int, certificate_id: int):
    org, certificate = _certificate(request, org_id, certificate_id)
    require(can_change_certificates(request.user, org), CORRECT_REFUSED)
    initial = {"holder_name": certificate.holder_name, "work_type_name": certificate.work_type_name}
    form = CorrectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        changes = {k: v for k, v in data.items() if v != initial[k]}
        try:
            new = lifecycle.certificate_correct(actor=request.user, certificate=certificate, reason=reason, **changes)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request, _("已生成更正后的第 %(v)d 版证书；原版本的二维码将显示“已更正”。") % {"v": new.version}
            )
            return redirect(new)
    return render(request, "certify/certificate_correct.html", {"org": org, "certificate": certificate, "form": form})


# --- seal -----------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@login_required
def seal_page(request, org_id: int):
    org = organization_get_for_user(request.user, org_id)
    if request.method == "POST":
        require(can_upload_seal(request.user, org), SEAL_REFUSED)
    form = SealForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.seal_upload(actor=request.user, organization=org, data=form.cleaned_data["image"].read())
        except ValidationError as exc:
            form.add_error("image", exc.messages)
        else:
            messages.success(request, _("印章已更新，之后生成的证书将使用新印章。"))
            return redirect("certify:seal_page", org_id=org.pk)
    seal = seal_for_org(org)
    return render(
        request,
        "certify/seal.html",
        {"org": org, "form": form, "seal": seal, "can_upload": can_upload_seal(request.user, org)},
    )


@require_GET
@login_required
def seal_image(request, org_id: int):
    org = organization_get_for_user(request.user, org_id)
    seal = seal_for_org(org)
    if seal is None:
        raise Http404("尚未上传印章")
    return FileResponse(seal.image.open("rb"), content_type="image/png")


# --- bureau ---------------------------------------------------------------------------------------
@require_GET
@login_required
def bureau_certificate_list(request):
    require(is_bureau_reader(request.user), BUREAU_STAFF_ONLY)
    query = request.GET.get("q", "").strip()
    return render(
        request,
        "certify/bureau_certificate_list.html",
        {
            "page": paginate(request, certificate_list_for_bureau(query=query)),
            "query": query,
            "querystring": querystring(request),
        },
    )
