from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import BUREAU_STAFF_ONLY, is_bureau_reader, organizations_visible_to, require
from accounts.selectors import organization_get_for_user
from certify import selectors
from certify.forms import (
    ConditionFormSet,
    LevelAddForm,
    ReasonForm,
    StandardCreateForm,
    StandardLevelForm,
    StandardVersionForm,
    SubscoreFormSet,
    condition_initial,
)
from certify.models import StandardVersion
from certify.permissions import (
    STANDARD_EDIT_REFUSED,
    STANDARDS_REFUSED,
    TEMPLATES_PUBLISH_REFUSED,
    can_edit_standard,
    can_manage_standards,
    can_manage_templates,
    can_view_bureau_records,
)
from certify.services import standards as services
from lib.eligibility import Condition, ruleset_to_data
from lib.web import apply_service_errors, error_text, paginate, querystring


# --- lists and creation -------------------------------------------------------------------
@require_GET
@login_required
def org_standard_list(request, org_id: int):
    org = organization_get_for_user(request.user, org_id)
    return render(
        request,
        "certify/org_standard_list.html",
        {
            "org": org,
            "versions": selectors.standard_versions_for_org(org),
            "templates": selectors.template_versions(),
            "can_manage": can_manage_standards(request.user, org),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def org_standard_create(request, org_id: int):
    org = organization_get_for_user(request.user, org_id)
    require(can_manage_standards(request.user, org), STANDARDS_REFUSED)
    form = StandardCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.standard_draft_create(actor=request.user, organization=org, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("已创建评价规范草稿，请逐级完善后发布。"))
            return redirect(_detail_url(version))
    return render(request, "certify/standard_create.html", {"org": org, "form": form, "template": False})


@require_POST
@login_required
def org_standard_adopt(request, org_id: int, template_id: int):
    org = organization_get_for_user(request.user, org_id)
    require(can_manage_standards(request.user, org), STANDARDS_REFUSED)
    template = selectors.standard_version_get(organization=None, pk=template_id)
    try:
        version, skipped = services.standard_adopt(actor=request.user, organization=org, template=template)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("certify:org_standard_list", org_id=org.pk)
    if skipped:
        messages.warning(
            request,
            _("已采用模板；%(levels)s不在本机构备案范围内，未纳入。")
            % {"levels": "、".join(str(lv) for lv in skipped)},
        )
    else:
        messages.success(request, _("已采用模板，生成了评价规范草稿。"))
    return redirect(_detail_url(version))


@require_GET
@login_required
def bureau_standard_list(request):
    require(can_view_bureau_records(request.user), BUREAU_STAFF_ONLY)
    query = request.GET.get("q", "").strip()
    return render(
        request,
        "certify/bureau_standard_list.html",
        {
            "templates": selectors.template_versions(published_only=False),
            "page": paginate(
                request,
                selectors.standard_versions_for_bureau(query=query).exclude(standard__organization__isnull=True),
            ),
            "query": query,
            "querystring": querystring(request),
            "can_manage": can_manage_templates(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def bureau_template_create(request):
    require(can_manage_templates(request.user), TEMPLATES_PUBLISH_REFUSED)
    form = StandardCreateForm(request.POST or None, template=True)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.standard_template_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("已创建评价规范模板草稿。"))
            return redirect(_detail_url(version))
    return render(request, "certify/standard_create.html", {"form": form, "template": True})


# --- one version --------------------------------------------------------------------------
def _detail_url(version: StandardVersion) -> str:
    org_id = version.standard.organization_id
    if org_id is None:
        return reverse("certify:template_detail", args=[version.pk])
    return reverse("certify:standard_detail", args=[org_id, version.pk])


def _version(request, version_id: int, org_id: int | None):
    """The version and its organisation (None for templates), scoped like every other read."""
    org = organization_get_for_user(request.user, org_id) if org_id is not None else None
    return org, selectors.standard_version_get(organization=org, pk=version_id)


def _refuse_published(request, version: StandardVersion):
    messages.error(
        request,
        _("「%(title)s」第 %(v)s 版已发布，不能修改；如需调整，请新建版本。")
        % {"title": version.title, "v": version.version},
    )
    return redirect(_detail_url(version))


@require_GET
@login_required
def standard_detail(request, version_id: int, org_id: int | None = None):
    org, version = _version(request, version_id, org_id)
    levels = []
    for level in version.levels.order_by("-level"):
        rules = [Condition.from_dict(r) for r in level.eligibility_rules or []]
        levels.append({"level": level, "rules": rules})
    return render(
        request,
        "certify/standard_detail.html",
        {
            "org": org,
            "version": version,
            "levels": levels,
            "siblings": selectors.standard_siblings(version),
            "can_edit": can_edit_standard(request.user, version.standard),
            "level_add_form": LevelAddForm(),
            "reason_form": ReasonForm(),
            "can_adopt": False,
            "back_org": _back_org(request.user, org),
        },
    )


def _back_org(user, org):
    """Where an enterprise user reading a bureau template goes back to: their own standards list."""
    if org is not None or is_bureau_reader(user):
        return None
    visible = list(organizations_visible_to(user)[:2])
    return visible[0] if len(visible) == 1 else None


@require_http_methods(["GET", "POST"])
@login_required
def standard_edit(request, version_id: int, org_id: int | None = None):
    org, version = _version(request, version_id, org_id)
    require(can_edit_standard(request.user, version.standard), STANDARD_EDIT_REFUSED)
    if not version.is_editable:
        return _refuse_published(request, version)
    form = StandardVersionForm.for_version(version, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.standard_version_update(actor=request.user, version=version, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect(_detail_url(version))
    return render(request, "certify/standard_edit.html", {"org": org, "version": version, "form": form})


def _level_payload(form, subscores, rules) -> dict:
    payload = dict(form.cleaned_data)
    payload["review_subscores"] = [
        {"name": f.cleaned_data["name"].strip(), "weight": f.cleaned_data["weight"]}
        for f in subscores
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]
    payload["eligibility_rules"] = ruleset_to_data(
        [
            f.cleaned_data["condition"]
            for f in rules
            if f.cleaned_data.get("condition") and not f.cleaned_data.get("DELETE")
        ]
    )
    return payload


@require_http_methods(["GET", "POST"])
@login_required
def standard_level_edit(request, version_id: int, level_id: int, org_id: int | None = None):
    org, version = _version(request, version_id, org_id)
    level = version.levels.filter(pk=level_id).first()
    if level is None:
        raise Http404("等级不存在")
    require(can_edit_standard(request.user, version.standard), STANDARD_EDIT_REFUSED)
    if not version.is_editable:
        return _refuse_published(request, version)
    data = request.POST or None
    form = StandardLevelForm(data, instance=level)
    subscores = SubscoreFormSet(data, prefix="sub", initial=level.review_subscores or [])
    rules = ConditionFormSet(data, prefix="rule", initial=condition_initial(level.eligibility_rules))
    if request.method == "POST" and form.is_valid() and subscores.is_valid() and rules.is_valid():
        try:
            services.standard_level_update(actor=request.user, level=level, **_level_payload(form, subscores, rules))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("已保存%(level)s的设置。") % {"level": level.level_wording})
            return redirect(_detail_url(version))
    return render(
        request,
        "certify/standard_level_edit.html",
        {"org": org, "version": version, "level": level, "form": form, "subscores": subscores, "rules": rules},
    )


def _version_action(request, version_id: int, org_id: int | None, action, success: str, *, to_result=False):
    _org, version = _version(request, version_id, org_id)
    require(can_edit_standard(request.user, version.standard), STANDARD_EDIT_REFUSED)
    try:
        result = action(version)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect(_detail_url(version))
    messages.success(request, success)
    if to_result and result is not None:
        return redirect(_detail_url(result))
    return redirect(_detail_url(version))


@require_POST
@login_required
def standard_level_add(request, version_id: int, org_id: int | None = None):
    form = LevelAddForm(request.POST)

    def act(version):
        if not form.is_valid():
            raise ValidationError(_("请选择等级"))
        services.standard_level_add(actor=request.user, version=version, level=form.cleaned_data["level"])

    return _version_action(request, version_id, org_id, act, _("已增加等级。"))


@require_POST
@login_required
def standard_level_remove(request, version_id: int, level_id: int, org_id: int | None = None):
    def act(version):
        level = version.levels.filter(pk=level_id).first()
        if level is None:
            raise Http404("等级不存在")
        services.standard_level_remove(actor=request.user, level=level)

    return _version_action(request, version_id, org_id, act, _("已删除该等级。"))


@require_POST
@login_required
def standard_publish(request, version_id: int, org_id: int | None = None):
    return _version_action(
        request,
        version_id,
        org_id,
        lambda v: services.standard_publish(actor=request.user, version=v),
        _("评价规范已发布；发布后不能修改，调整时请新建版本。"),
    )


@require_POST
@login_required
def standard_new_version(request, version_id: int, org_id: int | None = None):
    return _version_action(
        request,
        version_id,
        org_id,
        lambda v: services.standard_new_version(actor=request.user, version=v),
        _("已新建版本草稿，原版本保持不变。"),
        to_result=True,
    )


@require_POST
@login_required
def standard_retire(request, version_id: int, org_id: int | None = None):
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _version_action(
        request,
        version_id,
        org_id,
        lambda v: services.standard_retire(actor=request.user, version=v, reason=reason),
        _("该版本已停用，新的评价计划不能再使用它。"),
    )


@require_POST
@login_required
def standard_discard(request, version_id: int, org_id: int | None = None):
    org, version = _version(request, version_id, org_id)
    require(can_edit_standard(request.user, version.standard), STANDARD_EDIT_REFUSED)
    try:
        services.standard_draft_discard(actor=request.user, version=version)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect(_detail_url(version))
    messages.success(request, _("草稿已删除。"))
    if org is None:
        return redirect("certify:bureau_standard_list")
    return redirect("certify:org_standard_list", org_id=org.pk)
