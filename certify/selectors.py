"""Reads for the evaluation workflow. Every query is scoped by organisation in the query itself."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import Organization
from audit.models import AuditEvent
from certify import availability
from certify.models import (
    AssessmentPlan,
    CalendarDay,
    Certificate,
    Enrolment,
    ExportBatch,
    Filing,
    FilingScope,
    IssuanceBatch,
    Objection,
    Occupation,
    PlanAssessor,
    RecusalRelation,
    RevocationRequest,
    Score,
    ScoreDraft,
    Seal,
    StandardVersion,
    SupervisionReport,
)
from lib import numbering


def _get_or_404(queryset: QuerySet, message: str, **lookup):
    obj = queryset.filter(**lookup).first()
    if obj is None:
        raise Http404(message)
    return obj


# --- catalogue ----------------------------------------------------------------------------
def occupation_list(*, query: str = "") -> QuerySet[Occupation]:
    qs = Occupation.objects.annotate(work_type_count=Count("work_types"))
    if query:
        qs = qs.filter(Q(code__startswith=query) | Q(name__icontains=query) | Q(work_types__name__icontains=query))
    return qs.distinct().order_by("code", "edition")


def occupation_choices() -> QuerySet[Occupation]:
    return Occupation.objects.filter(active=True).order_by("code")


# --- filings ------------------------------------------------------------------------------
def _scopes_prefetch() -> Prefetch:
    return Prefetch("scopes", queryset=FilingScope.objects.select_related("occupation", "work_type"))


def filing_list_for_org(organization: Organization) -> QuerySet[Filing]:
    return (
        Filing.objects.filter(organization=organization).prefetch_related(_scopes_prefetch()).order_by("-valid_until")
    )


def filing_get_for_org(organization: Organization, pk: int) -> Filing:
    return _get_or_404(filing_list_for_org(organization), "备案不存在", pk=pk)


def filing_list_for_bureau(*, query: str = "", status: str = "") -> QuerySet[Filing]:
    qs = Filing.objects.select_related("organization").annotate(scope_count=Count("scopes"))
    if query:
        qs = qs.filter(Q(number__icontains=query) | Q(organization__name__icontains=query))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("valid_until", "number")


def filing_get_for_bureau(pk: int) -> Filing:
    return _get_or_404(
        Filing.objects.select_related("organization").prefetch_related(_scopes_prefetch()), "备案不存在", pk=pk
    )


# --- standards ----------------------------------------------------------------------------
def _versions(qs: QuerySet[StandardVersion]) -> QuerySet[StandardVersion]:
    return qs.select_related(
        "standard__occupation", "standard__work_type", "standard__organization", "published_by"
    ).annotate(level_count=Count("levels"))


def standard_versions_for_org(organization: Organization) -> QuerySet[StandardVersion]:
    return _versions(StandardVersion.objects.filter(standard__organization=organization)).order_by(
        "standard__occupation__code", "standard_id", "-version"
    )


def template_versions(*, published_only: bool = True) -> QuerySet[StandardVersion]:
    qs = StandardVersion.objects.filter(standard__organization__isnull=True)
    if published_only:
        qs = qs.filter(status=StandardVersion.Status.PUBLISHED)
    return _versions(qs).order_by("standard__occupation__code", "standard_id", "-version")


def standard_versions_for_bureau(*, query: str = "", organization_id: int | None = None):
    qs = StandardVersion.objects.all()
    if organization_id:
        qs = qs.filter(standard__organization_id=organization_id)
    if query:
        qs = qs.filter(
            Q(title__icontains=query)
            | Q(standard__occupation__name__icontains=query)
            | Q(standard__organization__name__icontains=query)
        )
    return _versions(qs).order_by("standard__organization__name", "standard__occupation__code", "-version")


def standard_version_get(*, organization: Organization | None, pk: int) -> StandardVersion:
    """A version of this organisation's standards, or of the bureau's templates when organization is None."""
    qs = StandardVersion.objects.select_related(
        "standard__occupation", "standard__work_type", "standard__organization", "created_by", "published_by"
    )
    if organization is None:
        qs = qs.filter(standard__organization__isnull=True)
    else:
        qs = qs.filter(standard__organization=organization)
    return _get_or_404(qs, "评价规范不存在", pk=pk)


def standard_siblings(version: StandardVersion) -> QuerySet[StandardVersion]:
    return StandardVersion.objects.filter(standard=version.standard_id).order_by("-version")


def published_versions_for_plans(organization: Organization) -> QuerySet[StandardVersion]:
    """Versions an organisation may file a plan under: its own published standards."""
    return _versions(
        StandardVersion.objects.filter(standard__organization=organization, status=StandardVersion.Status.PUBLISHED)
    ).order_by("standard__occupation__code")


# --- plans ----------------------------------------------------------------------------------
def _plans(qs: QuerySet) -> QuerySet:
    """Plans with their candidate count: a per-row subquery, so a page of 50 counts 50 plans
    instead of grouping every enrolment before paging (docs/benchmarks.md)."""
    registered = (
        Enrolment.objects.filter(plan=OuterRef("pk"), status=Enrolment.Status.REGISTERED)
        .order_by()
        .values("plan")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.select_related("occupation", "work_type", "organization", "standard_version").annotate(
        candidate_count=Coalesce(Subquery(registered, output_field=IntegerField()), 0)
    )


def plan_list_for_org(organization: Organization, *, status: str = "", query: str = "") -> QuerySet:
    qs = AssessmentPlan.objects.filter(organization=organization)
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(Q(number__icontains=query) | Q(title__icontains=query))
    return _plans(qs).order_by("-exam_date", "-pk")


def plan_get_for_org(organization: Organization, pk: int):
    qs = AssessmentPlan.objects.filter(organization=organization).select_related(
        "organization",
        "occupation",
        "work_type",
        "standard_version",
        "standard_level",
        "filing",
        "supervisor",
        "created_by",
        "filed_by",
        "approved_by",
    )
    return _get_or_404(qs, "评价计划不存在", pk=pk)


def plan_list_for_bureau(*, status: str = "", query: str = "") -> QuerySet:
    """Filed plans as they arrive (drafts stay with the organisation)."""
    qs = AssessmentPlan.objects.exclude(status=AssessmentPlan.Status.DRAFT)
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(Q(number__icontains=query) | Q(title__icontains=query) | Q(organization__name__icontains=query))
    return _plans(qs).select_related("supervisor").order_by("-filed_at", "-pk")


def plans_supervised_by(user) -> QuerySet:
    return _plans(AssessmentPlan.objects.filter(supervisor=user)).order_by("-exam_date")


def plan_enrolments(plan) -> QuerySet:
    return (
        Enrolment.objects.filter(plan=plan)
        .select_related("person", "result", "registered_by", "direct_decided_by")
        .order_by("status", "pk")
    )


def enrolment_get(plan, pk: int):
    qs = Enrolment.objects.filter(plan=plan).select_related("person", "plan", "registered_by", "direct_decided_by")
    return _get_or_404(qs.prefetch_related("prior_certificates"), "考生不存在", pk=pk)


def plan_assessors(plan) -> QuerySet:
    return (
        PlanAssessor.objects.filter(plan=plan).select_related("user").prefetch_related("relations__enrolment__person")
    )


def plan_events(plan) -> QuerySet:
    """The plan's own steps (who filed, approved, published…), oldest first."""
    return AuditEvent.objects.filter(target_type="certify.assessmentplan", target_id=str(plan.pk)).order_by("seq")


def plan_scores(plan) -> QuerySet:
    return (
        Score.objects.filter(plan=plan)
        .select_related("enrolment__person", "assessor", "replaces", "objection")
        .order_by("enrolment_id", "component", "subscore", "submitted_at")
    )


# --- what a plan offers its reader now (the plan actions table) ---------------------------------
def plan_available_actions(plan: AssessmentPlan, user, *, today: dt.date | None = None) -> availability.PlanActions:
    """Every action of the table ``user`` is offered on ``plan`` now, each enabled or disabled
    with its reasons in Chinese, and the checklist of the plan's next step."""
    return availability.plan_actions(plan, user, today=today)


def plan_action(plan: AssessmentPlan, user, key: str, *, today: dt.date | None = None) -> availability.ActionState:
    """One action as ``user`` finds it now, offered or not, with the reasons."""
    return availability.action_state(plan, user, key, today=today)


def plan_objections(plan: AssessmentPlan) -> QuerySet[Objection]:
    return Objection.objects.filter(plan=plan).select_related("enrolment__person", "resolved_by")


def plan_open_objections(plan: AssessmentPlan) -> QuerySet[Objection]:
    return Objection.objects.filter(plan=plan, status=Objection.Status.OPEN)


def plan_supervision_reports(plan: AssessmentPlan) -> QuerySet[SupervisionReport]:
    return SupervisionReport.objects.filter(plan=plan).select_related("supervisor")


def plan_has_issuance(plan: AssessmentPlan) -> bool:
    return IssuanceBatch.objects.filter(plan=plan).exists()


def plan_has_certificates(plan: AssessmentPlan) -> bool:
    return plan.certificates.exists()


def plan_assessor_get(plan: AssessmentPlan, pk: int) -> PlanAssessor:
    return _get_or_404(PlanAssessor.objects.filter(plan=plan).select_related("user", "plan"), "考评人员不存在", pk=pk)


def plan_objection_get(plan: AssessmentPlan, pk: int) -> Objection:
    return _get_or_404(Objection.objects.filter(plan=plan), "异议不存在", pk=pk)


def plan_score_get(plan: AssessmentPlan, pk: int) -> Score:
    return _get_or_404(Score.objects.filter(plan=plan).select_related("enrolment__person"), "成绩不存在", pk=pk)


def scorer_duties(plan: AssessmentPlan, user) -> list[str]:
    """The duties ``user`` holds on the plan's panel."""
    return list(PlanAssessor.objects.filter(plan=plan, user=user).values_list("duty", flat=True))


def scorer_recusals(plan: AssessmentPlan, user) -> set[int]:
    """The enrolments ``user`` declared a relation with: they score none of them."""
    return set(
        RecusalRelation.objects.filter(assessor__plan=plan, assessor__user=user).values_list("enrolment_id", flat=True)
    )


def scorer_current_scores(plan: AssessmentPlan, user) -> dict[tuple[int, str, str], Score]:
    """The user's scores still in force, by (enrolment, component, sub-score)."""
    scores = Score.objects.filter(plan=plan, assessor=user, replaced_by__isnull=True).select_related("replaces")
    return {(s.enrolment_id, s.component, s.subscore): s for s in scores}


def public_plan(number: str):
    """A plan whose results are (or were) publicly shown — by number; anything else is a 404."""
    qs = AssessmentPlan.objects.filter(
        status__in=[AssessmentPlan.Status.PUBLICITY, AssessmentPlan.Status.CLOSED], publicity_start__isnull=False
    ).select_related("organization", "occupation", "work_type")
    return _get_or_404(qs, "公示不存在", number=number)


# === certificates and the provincial upload (i10-cleanup) ===================================
U = Certificate.UploadStatus


def _certificate_search(query: str) -> Q:
    """A full certificate number, a holder's full name, or a plan number — each one an index lookup
    (a substring search would read every certificate of the organisation)."""
    number = numbering.normalise_number(query)
    if len(number) == numbering.NUMBER_LENGTH:
        return Q(number=number)
    return Q(holder_name=query) | Q(plan__number=query)


def certificate_list_for_org(organization: Organization, *, query: str = "", status: str = "") -> QuerySet[Certificate]:
    qs = Certificate.objects.filter(organization=organization)
    if query:
        qs = qs.filter(_certificate_search(query))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-issue_date", "number", "-version")


def certificate_list_for_bureau(*, query: str = "") -> QuerySet[Certificate]:
    qs = Certificate.objects.select_related("organization")
    if query:
        # matching organisations first, so the certificate query stays on indexes
        org_ids = list(Organization.objects.filter(name__icontains=query).values_list("pk", flat=True)[:50])
        qs = qs.filter(_certificate_search(query) | Q(organization_id__in=org_ids))
    return qs.order_by("-issue_date", "number")


def certificate_get_for_org(organization: Organization, pk: int) -> Certificate:
    qs = Certificate.objects.filter(organization=organization).select_related(
        "person", "plan", "organization", "issued_by"
    )
    return _get_or_404(qs, "证书不存在", pk=pk)


def certificate_get_for_plan(plan, pk: int) -> Certificate:
    return _get_or_404(Certificate.objects.filter(plan=plan), "证书不存在", pk=pk)


def certificate_versions(certificate: Certificate) -> QuerySet[Certificate]:
    """Every version of the certificate's number, newest first — of its own organisation only
    (numbers embed the organisation's code, but the query does not rely on that)."""
    return Certificate.objects.filter(organization_id=certificate.organization_id, number=certificate.number).order_by(
        "-version"
    )


def _current(organization: Organization) -> QuerySet[Certificate]:
    # A revoked certificate is no longer one to report as issued; a replaced one has a newer version.
    return Certificate.objects.filter(organization=organization).exclude(
        status__in=[Certificate.Status.REPLACED, Certificate.Status.REVOKED]
    )


def export_candidates(organization: Organization, *, only_rejected: bool = False) -> QuerySet[Certificate]:
    """Current versions waiting to go out. ``only_rejected``: those the province sent back — the
    rejected version itself, or its correction (a newer version of a rejected number)."""
    qs = _current(organization)
    if not only_rejected:
        return qs.filter(upload_status=U.PENDING)
    earlier_rejected = Certificate.objects.filter(
        organization=organization, number=OuterRef("number"), version__lt=OuterRef("version"), upload_status=U.REJECTED
    )
    return qs.filter(Q(upload_status=U.REJECTED) | (Q(upload_status=U.PENDING) & Exists(earlier_rejected)))


def upload_counts(organization: Organization) -> dict[str, int]:
    """Current certificates per upload status, and how many rejected ones are ready to resend."""
    counts = dict.fromkeys(U.values, 0)
    for row in _current(organization).order_by().values("upload_status").annotate(n=Count("pk")):
        counts[row["upload_status"]] = row["n"]
    counts["rejected_ready"] = export_candidates(organization, only_rejected=True).count()
    return counts


def awaiting_result(organization: Organization) -> QuerySet[Certificate]:
    """Every version exported and still without the province's answer (a replaced one too)."""
    return Certificate.objects.filter(organization=organization, upload_status=U.EXPORTED).order_by(
        "exported_at", "number", "version"
    )


def rejected_current(organization: Organization) -> QuerySet[Certificate]:
    return _current(organization).filter(upload_status=U.REJECTED).order_by("number")


def export_batches_for_org(organization: Organization) -> QuerySet[ExportBatch]:
    return ExportBatch.objects.filter(organization=organization).select_related("created_by")


def export_batch_get_for_org(organization: Organization, pk: int) -> ExportBatch:
    qs = ExportBatch.objects.filter(organization=organization).select_related("organization")
    return _get_or_404(qs, "导出文件不存在", pk=pk)


def issuance_batch_for_plan(plan) -> IssuanceBatch | None:
    return IssuanceBatch.objects.filter(plan=plan).first()


def seal_for_org(organization: Organization) -> Seal | None:
    return Seal.objects.filter(organization=organization).first()


def calendar_days_since(year: int) -> QuerySet[CalendarDay]:
    """The bureau's holiday and make-up-day entries from ``year`` on."""
    return CalendarDay.objects.filter(day__year__gte=year)


def scorer_draft(plan: AssessmentPlan, user) -> dict[str, dict]:
    """What ``user`` typed on the plan's score sheet and has not submitted (``ScoreDraft.values``)."""
    draft = ScoreDraft.objects.filter(plan=plan, assessor=user).only("values").first()
    return draft.values if draft else {}


def plan_activity(plan) -> QuerySet:
    """The plan's 办理记录: its own steps and every score entered or corrected on it, oldest first."""
    score_ids = [str(pk) for pk in Score.objects.filter(plan=plan).values_list("pk", flat=True)]
    return AuditEvent.objects.filter(
        Q(target_type="certify.assessmentplan", target_id=str(plan.pk))
        | Q(target_type="certify.score", target_id__in=score_ids)
    ).order_by("seq")


# --- revocation requests (issue 11, item 9) ----------------------------------------------------------
def revocation_request_pending(certificate: Certificate):
    """The certificate's request waiting for approval, or None."""
    return (
        RevocationRequest.objects.filter(certificate=certificate, status=RevocationRequest.Status.PENDING)
        .select_related("requested_by")
        .first()
    )


def revocation_request_get(certificate: Certificate, pk: int):
    """One of this certificate's requests (another certificate's: 404)."""
    return _get_or_404(RevocationRequest.objects.filter(certificate=certificate), "撤销申请不存在", pk=pk)


def revocation_requests_decided(certificate: Certificate) -> QuerySet:
    """The certificate's approved or refused requests, newest first (who asked, who decided, why)."""
    return (
        RevocationRequest.objects.filter(certificate=certificate)
        .exclude(status=RevocationRequest.Status.PENDING)
        .select_related("requested_by", "decided_by")
    )


def revocation_requests_pending(organization: Organization) -> QuerySet:
    """An organisation's requests waiting for a reviewer or its admin (the approvers' inbox)."""
    return (
        RevocationRequest.objects.filter(organization=organization, status=RevocationRequest.Status.PENDING)
        .select_related("certificate", "requested_by")
        .order_by("requested_at")
    )
