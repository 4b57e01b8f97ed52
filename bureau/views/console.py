"""The bureau's console: find a certificate, person, plan or organisation and read its whole history.

Read-only for every bureau reader. Looking at personal data here is itself written to the trail.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import BUREAU_STAFF_ONLY, is_bureau_reader, require
from audit.verify import chain_status
from bureau import selectors, services, timeline
from certify.models import Certificate
from lib.identifiers import mask_id_number, mask_name


def _require_reader(user) -> None:
    require(is_bureau_reader(user), BUREAU_STAFF_ONLY)


def _log_view(request, *, target, organization, what: str, data: dict | None = None) -> None:
    services.console_view_record(actor=request.user, target=target, organization=organization, what=what, data=data)


def _subject(certificate: Certificate) -> str:
    """车工（数控车工）, or the occupation alone when the certificate names no 工种 (printed as --)."""
    work_type = certificate.work_type_name.strip("- ")
    return f"{certificate.occupation_name}（{work_type}）" if work_type else certificate.occupation_name


def _chain():
    try:
        return chain_status()
    except Exception:  # a page never fails because the status could not be read
        return None


@require_http_methods(["GET", "POST"])
@login_required
def console_home(request):
    """Search. An ID number or a name comes by POST only, so it never lands in a URL, a log or a history."""
    _require_reader(request.user)
    if request.method == "POST":
        kind = "name" if request.POST.get("kind") == "name" else "id_number"
        query = request.POST.get("q", "")
    else:
        kind, query = request.GET.get("kind", "certificate"), request.GET.get("q", "")
        if kind in ("id_number", "name"):
            query = ""
    found = selectors.console_search(kind, query)
    if query.strip() and kind == "name":
        _log_view(
            request,
            target=("certify.person", "search", _("按姓名检索")),
            organization=None,
            what="name_search",
            data={"masked": mask_name("".join(query.split())), "matches": len(found["people"])},
        )
    if query.strip() and kind == "id_number":
        # a search by ID number looks at personal data: log it, never the number itself
        _log_view(
            request,
            target=("certify.person", "search", _("按证件号码检索")),
            organization=None,
            what="id_number_search",
            data={"masked": mask_id_number("".join(query.split()).upper()), "matches": len(found["people"])},
        )
    return render(
        request,
        "bureau/console_home.html",
        {
            "kind": kind,
            "query": query if kind not in ("id_number", "name") else "",
            "name_query": query.strip() if kind == "name" else "",
            "found": found,
            "searched": bool(query.strip()),
            "kinds": [
                ("certificate", _("证书编号")),
                ("id_number", _("证件号码")),
                ("plan", _("评价计划编号")),
                ("organization", _("评价机构")),
            ],
            "chain": _chain(),
        },
    )


def _render_timeline(request, *, title, subtitle, query, facts, back=None, extra=None):
    return render(
        request,
        "bureau/console_timeline.html",
        {
            "title": title,
            "subtitle": subtitle,
            "entries": timeline.build(query),
            "facts": facts,
            "chain": _chain(),
            "back": back,
            **(extra or {}),
        },
    )


@require_GET
@login_required
def console_certificate(request, certificate_id: int):
    _require_reader(request.user)
    certificate = selectors.console_certificate_get(certificate_id)
    _log_view(request, target=certificate, organization=certificate.organization, what="certificate_timeline")
    facts = [
        (_("证书编号"), certificate.number),
        (_("姓名"), certificate.holder_name),
        (_("证件号码"), certificate.person.id_number_masked),
        (_("职业（工种）"), _subject(certificate)),
        (_("等级"), certificate.level_label),
        (_("评价机构"), certificate.organization_name),
        (_("评价计划"), certificate.plan.number),
        (_("状态"), certificate.get_status_display()),
    ]
    return _render_timeline(
        request,
        title=_("证书 %(n)s 的完整记录") % {"n": certificate.number},
        subtitle=certificate.holder_name,
        query=timeline.certificate_query(certificate),
        facts=facts,
    )


@require_GET
@login_required
def console_person(request, person_key: str):
    _require_reader(request.user)
    person = selectors.console_person_get(person_key)
    _log_view(request, target=person, organization=None, what="person_timeline")
    facts = [
        (_("姓名"), person.name),
        (_("证件"), f"{person.get_id_type_display()} {person.id_number_masked}"),
        (_("性别"), person.get_sex_display()),
        (_("申报次数"), selectors.person_enrolment_count(person)),
        (_("持证数"), selectors.person_certificates(person).exclude(status=Certificate.Status.REPLACED).count()),
    ]
    return _render_timeline(
        request,
        title=_("人员记录"),
        subtitle=mask_name(person.name),
        query=timeline.person_query(person),
        facts=facts,
        extra={"certificates": selectors.person_certificates(person)},
    )


@require_GET
@login_required
def console_plan(request, plan_id: int):
    _require_reader(request.user)
    plan = selectors.console_plan_get(plan_id)
    _log_view(request, target=plan, organization=plan.organization, what="plan_timeline")
    facts = [
        (_("计划编号"), plan.number),
        (_("评价机构"), plan.organization.name),
        (_("职业与等级"), f"{plan.subject} · {plan.level_label}"),
        (_("考核日期"), plan.exam_date.isoformat()),
        (_("状态"), plan.get_status_display()),
    ]
    return _render_timeline(
        request,
        title=_("评价计划 %(n)s 的完整记录") % {"n": plan.number},
        subtitle=plan.title,
        query=timeline.plan_query(plan),
        facts=facts,
    )


@require_GET
@login_required
def console_organization(request, org_id: int):
    _require_reader(request.user)
    organization = selectors.console_organization_get(org_id)
    facts = [
        (_("机构名称"), organization.name),
        (_("统一社会信用代码"), organization.credit_code),
        (_("类型"), organization.get_kind_display()),
        (_("状态"), organization.get_status_display()),
    ]
    return _render_timeline(
        request,
        title=organization.name,
        subtitle=_("评价机构概况"),
        query=timeline.organization_query(organization),
        facts=facts,
        extra={
            "overview": selectors.organization_overview(organization),
            "organization": organization,
            "today": timezone.localdate(),
        },
    )
