"""The bureau's console: find a certificate, person, plan or organisation and read its whole history.

Read-only for every bureau reader. Looking at personal data here is itself written to the trail.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Organization
from accounts.permissions import is_bureau_reader, require
from audit.events import EventType
from audit.models import RiskFlag
from audit.services import audit_append
from bureau import timeline
from lib.identifiers import mask_id_number, mask_name


def _require_reader(user) -> None:
    require(is_bureau_reader(user), _("此页面仅供人社局工作人员使用"))


def _log_view(request, *, target, organization, what: str, data: dict | None = None) -> None:
    with transaction.atomic():
        audit_append(
            actor=request.user,
            event_type=EventType.CONSOLE_VIEWED,
            target=target,
            organization=organization,
            data={"viewed": what, **(data or {})},
        )


def _chain():
    try:
        from audit.verify import chain_status
    except ImportError:  # the verifier module is optional for this page
        return None
    try:
        return chain_status()
    except Exception:  # a page never fails because the status could not be read
        return None


def _search(kind: str, query: str) -> dict:
    from certify.models import AssessmentPlan, Certificate, Person
    from lib import pii

    query = query.strip()
    found: dict[str, list] = {"certificates": [], "people": [], "plans": [], "organizations": []}
    if not query:
        return found
    if kind == "certificate":
        found["certificates"] = list(
            Certificate.objects.filter(number=query.upper()).select_related("organization").order_by("-version")
        )
    elif kind == "id_number":
        number = "".join(query.split()).upper()
        hashes = [h for t in Person.IdType.values for h in pii.lookup_hashes(id_type=t, number=number)]
        found["people"] = list(Person.objects.filter(id_number_hash__in=hashes))
    elif kind == "plan":
        found["plans"] = list(
            AssessmentPlan.objects.filter(Q(number=query) | Q(title__icontains=query)).select_related("organization")[
                :50
            ]
        )
    elif kind == "organization":
        found["organizations"] = list(
            Organization.objects.filter(Q(name__icontains=query) | Q(credit_code=query.upper()))[:50]
        )
    return found


@require_http_methods(["GET", "POST"])
@login_required
def console_home(request):
    """Search. An ID number comes by POST only, so it never lands in a URL, a log or a history."""
    _require_reader(request.user)
    if request.method == "POST":
        kind, query = "id_number", request.POST.get("q", "")
    else:
        kind, query = request.GET.get("kind", "certificate"), request.GET.get("q", "")
        if kind == "id_number":
            query = ""
    found = _search(kind, query)
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
            "query": query if kind != "id_number" else "",
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
    from certify.models import Certificate

    _require_reader(request.user)
    certificate = (
        Certificate.objects.filter(pk=certificate_id)
        .select_related("organization", "enrolment", "plan", "person")
        .first()
    )
    if certificate is None:
        raise Http404("证书不存在")
    _log_view(request, target=certificate, organization=certificate.organization, what="certificate_timeline")
    facts = [
        (_("证书编号"), certificate.number),
        (_("姓名"), certificate.holder_name),
        (_("证件号码"), certificate.person.id_number_masked),
        (_("职业（工种）"), f"{certificate.occupation_name}（{certificate.work_type_name}）"),
        (_("等级"), certificate.level_wording),
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
    from certify.models import Certificate, Enrolment, Person

    _require_reader(request.user)
    person = Person.objects.filter(id_number_hash=person_key).first()
    if person is None:
        raise Http404("人员不存在")
    _log_view(request, target=person, organization=None, what="person_timeline")
    facts = [
        (_("姓名"), person.name),
        (_("证件"), f"{person.get_id_type_display()} {person.id_number_masked}"),
        (_("性别"), person.get_sex_display()),
        (_("申报次数"), Enrolment.objects.filter(person=person).count()),
        (_("持证数"), Certificate.objects.filter(person=person).exclude(status="replaced").count()),
    ]
    return _render_timeline(
        request,
        title=_("人员记录"),
        subtitle=mask_name(person.name),
        query=timeline.person_query(person),
        facts=facts,
        extra={"certificates": Certificate.objects.filter(person=person).select_related("organization")},
    )


@require_GET
@login_required
def console_plan(request, plan_id: int):
    from certify.models import AssessmentPlan

    _require_reader(request.user)
    plan = AssessmentPlan.objects.filter(pk=plan_id).select_related("organization").first()
    if plan is None:
        raise Http404("评价计划不存在")
    _log_view(request, target=plan, organization=plan.organization, what="plan_timeline")
    facts = [
        (_("计划编号"), plan.number),
        (_("评价机构"), plan.organization.name),
        (_("职业与等级"), f"{plan.subject} · {plan.level_wording}"),
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


def organization_overview(organization) -> dict:
    from certify.models import AssessmentPlan, Certificate, Filing, Result

    plans = AssessmentPlan.objects.filter(organization=organization)
    outcomes = Result.objects.filter(organization=organization).values("outcome").annotate(n=Count("pk"))
    by_outcome = {row["outcome"]: row["n"] for row in outcomes}
    judged = sum(by_outcome.values()) - by_outcome.get(Result.Outcome.INCOMPLETE, 0)
    certificates = Certificate.objects.filter(organization=organization).exclude(status="replaced")
    return {
        "filings": Filing.objects.filter(organization=organization).prefetch_related("scopes__occupation"),
        "plan_counts": plans.values("status").annotate(n=Count("pk")).order_by("status"),
        "plans": plans.order_by("-exam_date")[:20],
        "certificate_counts": certificates.values("status").annotate(n=Count("pk")).order_by("status"),
        "certificate_total": certificates.count(),
        "pass_rate": round(100 * by_outcome.get(Result.Outcome.PASS, 0) / judged, 1) if judged else None,
        "judged": judged,
        "plan_pass_rates": plans.filter(results__isnull=False)
        .annotate(total=Count("results"), passed=Count("results", filter=Q(results__outcome=Result.Outcome.PASS)))
        .order_by("-exam_date")[:20],
        "open_flags": RiskFlag.objects.filter(organization=organization, status=RiskFlag.Status.OPEN),
    }


@require_GET
@login_required
def console_organization(request, org_id: int):
    _require_reader(request.user)
    organization = Organization.objects.filter(pk=org_id).first()
    if organization is None:
        raise Http404("评价机构不存在")
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
        extra={"overview": organization_overview(organization), "organization": organization},
    )
