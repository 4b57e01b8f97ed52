"""Reads for the bureau's console: the search and the records a timeline is built around.

Bureau readers see every organisation, so these reads are not scoped to one; the views check the
reader's role before calling them. A record that does not exist is a 404.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import Organization
from audit.models import RiskFlag
from certify.models import AssessmentPlan, Certificate, Enrolment, Filing, Person, Result
from lib import pii

SEARCH_LIMIT = 50
CONSOLE_SEARCH_KINDS = ("certificate", "id_number", "name", "plan", "organization")


def console_search(kind: str, query: str) -> dict[str, list]:
    """What the console's search box found: certificates by number, people by ID number (any ID
    type, through the keyed hash), people by name (the whole name or its beginning, exact matches
    first), plans by number or title, organisations by name or credit code."""
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
    elif kind == "name":
        name = "".join(query.split()) if not query.isascii() else " ".join(query.split())
        people = Person.objects.filter(name__startswith=name).order_by("name", "pk")
        found["people"] = list(people[:SEARCH_LIMIT])
    elif kind == "plan":
        plans = AssessmentPlan.objects.filter(Q(number=query) | Q(title__icontains=query))
        found["plans"] = list(plans.select_related("organization")[:SEARCH_LIMIT])
    elif kind == "organization":
        orgs = Organization.objects.filter(Q(name__icontains=query) | Q(credit_code=query.upper()))
        found["organizations"] = list(orgs[:SEARCH_LIMIT])
    return found


def _first_or_404(queryset: QuerySet, message: str):
    obj = queryset.first()
    if obj is None:
        raise Http404(message)
    return obj


def console_certificate_get(pk: int) -> Certificate:
    qs = Certificate.objects.filter(pk=pk).select_related("organization", "enrolment", "plan", "person")
    return _first_or_404(qs, "证书不存在")


def console_person_get(person_key: str) -> Person:
    return _first_or_404(Person.objects.filter(id_number_hash=person_key), "人员不存在")


def person_enrolment_count(person: Person) -> int:
    return Enrolment.objects.filter(person=person).count()


def person_certificates(person: Person) -> QuerySet[Certificate]:
    return Certificate.objects.filter(person=person).select_related("organization")


def console_plan_get(pk: int) -> AssessmentPlan:
    return _first_or_404(AssessmentPlan.objects.filter(pk=pk).select_related("organization"), "评价计划不存在")


def console_organization_get(pk: int) -> Organization:
    return _first_or_404(Organization.objects.filter(pk=pk), "评价机构不存在")


def organization_overview(organization: Organization) -> dict:
    """An organisation's filings, plans, certificates, pass rates and open risk flags at a glance."""
    plans = AssessmentPlan.objects.filter(organization=organization)
    outcomes = Result.objects.filter(organization=organization).values("outcome").annotate(n=Count("pk"))
    by_outcome = {row["outcome"]: row["n"] for row in outcomes}
    judged = sum(by_outcome.values()) - by_outcome.get(Result.Outcome.INCOMPLETE, 0)
    certificates = Certificate.objects.filter(organization=organization).exclude(status=Certificate.Status.REPLACED)
    return {
        "filings": Filing.objects.filter(organization=organization).prefetch_related("scopes__occupation"),
        "plan_counts": plans.values("status").annotate(n=Count("pk")).order_by("status"),
        "plans": plans.order_by("-exam_date")[:20],
        "certificate_counts": [
            {**row, "label": Certificate.Status(row["status"]).label}
            for row in certificates.values("status").annotate(n=Count("pk")).order_by("status")
        ],
        "certificate_total": certificates.count(),
        "pass_rate": round(100 * by_outcome.get(Result.Outcome.PASS, 0) / judged, 1) if judged else None,
        "judged": judged,
        "plan_pass_rates": plans.filter(results__isnull=False)
        .annotate(total=Count("results"), passed=Count("results", filter=Q(results__outcome=Result.Outcome.PASS)))
        .order_by("-exam_date")[:20],
        "open_flags": RiskFlag.objects.filter(organization=organization, status=RiskFlag.Status.OPEN),
    }
