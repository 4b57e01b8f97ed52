from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Organization
from accounts.permissions import BUREAU_STAFF_ONLY, require
from accounts.selectors import organization_get_for_user
from certify import selectors
from certify.forms import FilingFilterForm, FilingForm, FilingRenewForm, ReasonForm, ScopeForm, ScopeFormSet
from certify.permissions import FILINGS_REFUSED, can_manage_filings, can_view_bureau_records
from certify.services import filings as services
from lib.web import apply_service_errors, error_text, paginate, querystring


def _spec(data) -> services.ScopeSpec:
    return services.ScopeSpec(
        occupation=data["occupation"], work_type=data.get("work_type") or None, levels=tuple(data["levels"])
    )


# --- organisation: read-only ----------------------------------------------------------------
@require_GET
@login_required
def org_filing_list(request, org_id: int):
    org = organization_get_for_user(request.user, org_id)
    return render(
        request,
        "certify/org_filing_list.html",
        {"org": org, "filings": selectors.filing_list_for_org(org), "today": timezone.localdate()},
    )


@require_GET
@login_required
def org_filing_detail(request, org_id: int, filing_id: int):
    org = organization_get_for_user(request.user, org_id)
    filing = selectors.filing_get_for_org(org, filing_id)
    return render(
        request,
        "certify/filing_detail.html",
        {"org": org, "filing": filing, "today": timezone.localdate(), "bureau": False},
    )


# --- bureau ---------------------------------------------------------------------------------
@require_GET
@login_required
def bureau_filing_list(request):
    require(can_view_bureau_records(request.user), BUREAU_STAFF_ONLY)
    form = FilingFilterForm(request.GET or None)
    query = status = ""
    if form.is_valid():
        query, status = form.cleaned_data["q"], form.cleaned_data["status"]
    return render(
        request,
        "certify/bureau_filing_list.html",
        {
            "form": form,
            "page": paginate(request, selectors.filing_list_for_bureau(query=query, status=status)),
            "querystring": querystring(request),
            "today": timezone.localdate(),
            "can_manage": can_manage_filings(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def bureau_filing_create(request):
    require(can_manage_filings(request.user), FILINGS_REFUSED)
    organizations = Organization.objects.order_by("name")
    org_id = request.POST.get("organization") or request.GET.get("organization")
    form = FilingForm(request.POST or None)
    scopes = ScopeFormSet(request.POST or None, prefix="scope")
    organization = organizations.filter(pk=org_id).first() if org_id and str(org_id).isdigit() else None
    if request.method == "POST":
        if organization is None:
            form.add_error(None, _("请选择评价机构"))
        if form.is_valid() and scopes.is_valid() and organization is not None:
            try:
                filing = services.filing_create(
                    actor=request.user,
                    organization=organization,
                    scopes=[_spec(f.cleaned_data) for f in scopes if f.cleaned_data],
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("已登记备案 %(n)s。") % {"n": filing.number})
                return redirect("certify:bureau_filing_detail", filing_id=filing.pk)
    return render(
        request,
        "certify/bureau_filing_form.html",
        {"form": form, "scopes": scopes, "organizations": organizations, "organization": organization},
    )


@require_GET
@login_required
def bureau_filing_detail(request, filing_id: int):
    require(can_view_bureau_records(request.user), BUREAU_STAFF_ONLY)
    filing = selectors.filing_get_for_bureau(filing_id)
    opens, closes = services.renewal_window(filing)
    today = timezone.localdate()
    return render(
        request,
        "certify/filing_detail.html",
        {
            "org": filing.organization,
            "filing": filing,
            "today": today,
            "bureau": True,
            "can_manage": can_manage_filings(request.user),
            "scope_form": ScopeForm(),
            "renew_form": FilingRenewForm(),
            "reason_form": ReasonForm(),
            "renewal_opens": opens,
            "renewal_open": opens <= today <= closes,
        },
    )


def _filing_action(request, filing_id: int, action, success: str):
    require(can_manage_filings(request.user), _("只有人社局管理员可以变更备案"))
    filing = selectors.filing_get_for_bureau(filing_id)
    try:
        action(filing)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, success)
    return redirect(reverse("certify:bureau_filing_detail", args=[filing.pk]))


@require_POST
@login_required
def bureau_filing_add_scope(request, filing_id: int):
    form = ScopeForm(request.POST)

    def act(filing):
        if not form.is_valid():
            raise ValidationError([f"{form.fields[k].label}：{' '.join(v)}" for k, v in form.errors.items()])
        services.filing_add_scope(actor=request.user, filing=filing, scope=_spec(form.cleaned_data))

    return _filing_action(request, filing_id, act, _("已增加备案范围，有效期不变。"))


@require_POST
@login_required
def bureau_filing_renew(request, filing_id: int):
    form = FilingRenewForm(request.POST)

    def act(filing):
        if not form.is_valid():
            raise ValidationError(_("请填写有效的日期"))
        services.filing_renew(actor=request.user, filing=filing, valid_until=form.cleaned_data["valid_until"])

    return _filing_action(request, filing_id, act, _("备案已续期。"))


def _reason(request) -> str:
    form = ReasonForm(request.POST)
    return form.cleaned_data["reason"] if form.is_valid() else ""


@require_POST
@login_required
def bureau_filing_suspend(request, filing_id: int):
    return _filing_action(
        request,
        filing_id,
        lambda f: services.filing_suspend(actor=request.user, filing=f, reason=_reason(request)),
        _("备案已暂停，暂停期间该机构不能开展评价。"),
    )


@require_POST
@login_required
def bureau_filing_reinstate(request, filing_id: int):
    return _filing_action(
        request,
        filing_id,
        lambda f: services.filing_reinstate(actor=request.user, filing=f, reason=_reason(request)),
        _("备案已恢复。"),
    )


@require_POST
@login_required
def bureau_filing_revoke(request, filing_id: int):
    return _filing_action(
        request,
        filing_id,
        lambda f: services.filing_revoke(actor=request.user, filing=f, reason=_reason(request)),
        _("备案已撤销。"),
    )
