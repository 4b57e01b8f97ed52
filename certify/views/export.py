"""The upload screens (上报): export what is waiting, re-export what came back rejected, download
past exports through a permission check, record the province's answers one by one or from its
feedback file. Every screen needs EXPORT_DATA: the files carry full ID numbers."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import require
from accounts.selectors import organization_get_for_user
from certify.errors import ImportRejected
from certify.models import Certificate
from certify.permissions import can_export
from certify.selectors import (
    awaiting_result,
    certificate_get_for_org,
    export_batch_get_for_org,
    export_batches_for_org,
    rejected_current,
    upload_counts,
)
from certify.services.export import XLSX, certificates_export, export_download_record
from certify.services.export_profiles import DEFAULT_PROFILE, profile_choices
from certify.services.upload_results import upload_feedback_import, upload_result_record
from lib.web import error_text, paginate, querystring

U = Certificate.UploadStatus


class ExportForm(forms.Form):
    profile = forms.ChoiceField(label=gettext_lazy("导出格式"), choices=profile_choices, required=False)
    only_rejected = forms.BooleanField(label=gettext_lazy("仅重报被退回的证书"), required=False)


class ResultForm(forms.Form):
    result = forms.ChoiceField(
        label=gettext_lazy("上报结果"), choices=[(U.ACCEPTED, gettext_lazy("接收")), (U.REJECTED, gettext_lazy("退回"))]
    )
    note = forms.CharField(label=gettext_lazy("退回原因"), max_length=500, required=False)


class FeedbackForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("反馈文件"),
        help_text=gettext_lazy(
            "省级系统返回的 Excel（.xlsx）或 CSV，须含「证书编号」「结果」（接收/退回）「退回原因」列"
        ),
    )


def _org_for_export(request, org_id: int):
    """The organisation (404 when not visible, like a missing one), then the role check (403)."""
    org = organization_get_for_user(request.user, org_id)
    require(can_export(request.user, org), _("您没有导出或登记本机构上报数据的权限"))
    return org


@require_GET
@login_required
def export_page(request, org_id: int):
    org = _org_for_export(request, org_id)
    profiles = profile_choices()
    labels = dict(profiles)
    page = paginate(request, export_batches_for_org(org), per_page=20)
    for batch in page:
        batch.profile_label = labels.get(batch.profile, batch.profile)
    return render(
        request,
        "certify/export.html",
        {
            "org": org,
            "counts": upload_counts(org),
            "profiles": profiles,
            "default_profile": DEFAULT_PROFILE,
            "rejected": rejected_current(org).select_related("plan")[:200],
            "page": page,
            "querystring": querystring(request),
        },
    )


@require_POST
@login_required
def export_create(request, org_id: int):
    org = _org_for_export(request, org_id)
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择有效的导出格式。"))
        return redirect("certify_export:export_page", org_id=org.pk)
    only_rejected = form.cleaned_data["only_rejected"]
    try:
        batch = certificates_export(
            actor=request.user,
            organization=org,
            profile=form.cleaned_data["profile"] or DEFAULT_PROFILE.name,
            only_rejected=only_rejected,
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        what = _("被退回证书的重报数据") if only_rejected else _("上报数据")
        messages.success(
            request,
            _("已导出%(what)s，共 %(n)d 张证书。请下载文件上传到省级系统，收到反馈后在“登记上报结果”中登记。")
            % {"what": what, "n": batch.certificate_count},
        )
    return redirect("certify_export:export_page", org_id=org.pk)


@require_GET
@login_required
def export_download(request, org_id: int, batch_id: int):
    org = _org_for_export(request, org_id)
    batch = export_batch_get_for_org(org, batch_id)
    if not batch.file:
        raise Http404("导出文件不存在")
    try:
        handle = batch.file.open("rb")
    except FileNotFoundError:
        raise Http404("导出文件不存在") from None
    export_download_record(actor=request.user, batch=batch)
    filename = f"upload-{batch.created_at:%Y%m%d-%H%M%S}-{batch.certificate_count}.xlsx"
    response = FileResponse(handle, content_type=XLSX, as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    return response


def _results_context(request, org, **extra) -> dict:
    return {
        "org": org,
        "page": paginate(request, awaiting_result(org).select_related("plan")),
        "counts": upload_counts(org),
        "result_choices": ResultForm.base_fields["result"].choices,
        "form": FeedbackForm(),
        "errors": [],
        "querystring": querystring(request),
        **extra,
    }


@require_GET
@login_required
def results_page(request, org_id: int):
    org = _org_for_export(request, org_id)
    return render(request, "certify/export_results.html", _results_context(request, org))


@require_POST
@login_required
def result_record(request, org_id: int, certificate_id: int):
    org = _org_for_export(request, org_id)
    certificate = certificate_get_for_org(org, certificate_id)
    form = ResultForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择“接收”或“退回”。"))
        return redirect("certify_export:results_page", org_id=org.pk)
    accepted = form.cleaned_data["result"] == U.ACCEPTED
    try:
        upload_result_record(
            actor=request.user, certificate=certificate, accepted=accepted, note=form.cleaned_data["note"]
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        if accepted:
            messages.success(request, _("已登记：证书 %(n)s 已被省级系统接收。") % {"n": certificate.number})
        else:
            messages.warning(
                request,
                _("已登记：证书 %(n)s 被退回。请按退回原因更正后，在“证书数据上报”中重新导出被退回的证书。")
                % {"n": certificate.number},
            )
    return redirect("certify_export:results_page", org_id=org.pk)


@require_POST
@login_required
def feedback_import(request, org_id: int):
    org = _org_for_export(request, org_id)
    form = FeedbackForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "certify/export_results.html", _results_context(request, org, form=form))
    upload = form.cleaned_data["file"]
    try:
        result = upload_feedback_import(actor=request.user, organization=org, file=upload, filename=upload.name)
    except ImportRejected as exc:
        context = _results_context(request, org, form=form, errors=exc.errors)
        return render(request, "certify/export_results.html", context, status=400)
    messages.success(
        request,
        _("已导入反馈文件：接收 %(a)d 张，退回 %(r)d 张。") % {"a": result.accepted, "r": result.rejected},
    )
    if result.rejected:
        messages.warning(request, _("被退回的证书请按退回原因更正后重新导出。"))
    return redirect("certify_export:results_page", org_id=org.pk)
