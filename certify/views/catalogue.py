from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import BUREAU_STAFF_ONLY, require
from certify import selectors
from certify.errors import ImportRejected
from certify.forms import CatalogueImportForm
from certify.models import Occupation
from certify.permissions import CATALOGUE_REFUSED, SHORTAGE_REFUSED, can_manage_catalogue, can_view_bureau_records
from certify.services import catalogue as services
from lib.excel import write_template
from lib.web import error_text, paginate, querystring


def _summary(result) -> str:
    if not result.changed:
        return _("文件共 %(rows)d 行，与现有目录一致，没有变化。") % {"rows": result.rows}
    return _("导入完成：新增职业 %(c)d 个，更新 %(u)d 个，新增工种 %(w)d 个。") % {
        "c": result.occupations_created,
        "u": result.occupations_updated,
        "w": result.work_types_created,
    }


@require_GET
@login_required
def catalogue_list(request):
    require(can_view_bureau_records(request.user), BUREAU_STAFF_ONLY)
    query = request.GET.get("q", "").strip()
    return render(
        request,
        "certify/catalogue_list.html",
        {
            "page": paginate(request, selectors.occupation_list(query=query), per_page=100),
            "query": query,
            "querystring": querystring(request),
            "form": CatalogueImportForm(),
            "can_manage": can_manage_catalogue(request.user),
        },
    )


@require_POST
@login_required
def catalogue_import(request):
    require(can_manage_catalogue(request.user), CATALOGUE_REFUSED)
    form = CatalogueImportForm(request.POST, request.FILES)
    errors = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.catalogue_import(actor=request.user, file=upload, filename=upload.name)
        except ImportRejected as exc:
            errors = exc.errors
        else:
            messages.success(request, _summary(result))
            return redirect("certify:catalogue_list")
    return render(
        request,
        "certify/catalogue_import_result.html",
        {"form": form, "errors": errors},
        status=400 if errors or form.errors else 200,
    )


@require_POST
@login_required
def catalogue_import_builtin(request):
    require(can_manage_catalogue(request.user), CATALOGUE_REFUSED)
    result = services.catalogue_import_builtin(actor=request.user)
    messages.success(request, _summary(result))
    return redirect("certify:catalogue_list")


@require_GET
@login_required
def catalogue_template(request):
    require(can_manage_catalogue(request.user), CATALOGUE_REFUSED)
    content = write_template(
        columns=services.CATALOGUE_COLUMNS,
        sheet_title="职业目录",
        example_rows=[
            {"code": "6-18-01-01", "name": "车工", "work_type": "数控车工", "edition": "2022", "is_shortage": "否"},
            {"code": "6-18-01-01", "name": "车工", "work_type": "普通车工", "edition": "2022", "is_shortage": "否"},
        ],
        notes=[_("整个文件先校验，全部正确才会导入；有错误时不导入任何一行。"), _("重复导入同一文件不会产生变化。")],
    )
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = "attachment; filename*=UTF-8''occupation-catalogue-template.xlsx"
    return response


@require_POST
@login_required
def occupation_shortage(request, occupation_id: int):
    require(can_manage_catalogue(request.user), SHORTAGE_REFUSED)
    occupation = get_object_or_404(Occupation, pk=occupation_id)
    try:
        services.occupation_set_shortage(
            actor=request.user, occupation=occupation, is_shortage=request.POST.get("is_shortage") == "1"
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已更新「%(name)s」的急需紧缺标记。") % {"name": occupation.name})
    return redirect("certify:catalogue_list")
