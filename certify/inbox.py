"""The evaluation work waiting in the inbox of an organisation's member (``accounts.inbox``).

One selector, ``organization_items(user, organizations)``, named in the ``INBOX_PROVIDERS``
setting. Reads only; every query is scoped to the organisations the user is a member of and holds
the right for, and counts with aggregates (grouped by organisation), so the number of queries does
not grow with plans, candidates or certificates.

Which plans wait for a step, and for whom, comes from the plan actions table (``certify.actions``):
each step a user may take in an organisation counts the plans in the step's starting states that
are due for it (its date has come; for results, every score is in).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.inbox import InboxItem
from accounts.models import Organization
from accounts.permissions import organizations_with_perm
from accounts.roles import OrgPerm
from certify.actions import OPEN_STATES, TABLE, Act, PlanAction
from certify.models import (
    AssessmentPlan,
    Certificate,
    Enrolment,
    Filing,
    IssuanceBatch,
    Objection,
    PlanAssessor,
    RecusalRelation,
    Result,
    RevocationRequest,
    Score,
)

S = AssessmentPlan.Status
REGISTERED = Enrolment.Status.REGISTERED

# What the inbox says of a plan waiting for each step of the table (the button keeps its own label).
_WAITING = {
    Act.FILE: gettext_lazy("草稿，待报备"),
    Act.START: gettext_lazy("考核日期已到，待开始考核"),
    Act.SCORING: gettext_lazy("考核已结束，待开始评分"),
    Act.APPROVE: gettext_lazy("成绩已录齐，待审核评价结果"),
    Act.PUBLICITY: gettext_lazy("结果已审核，待发布公示"),
    Act.CLOSE: gettext_lazy("公示期满，待结束计划"),
    Act.ISSUE: gettext_lazy("已结束，待核发证书"),
}


def _due(today: dt.date) -> dict[str, Q]:
    """When a plan in a step's starting state is due for the step (the step's own checks decide
    on the plan page; this only keeps plans that are not due yet out of the inbox)."""
    incomplete = Enrolment.objects.filter(plan=OuterRef("pk"), status=REGISTERED).filter(
        Q(result__isnull=True) | Q(result__outcome=Result.Outcome.INCOMPLETE)
    )
    open_objections = Objection.objects.filter(plan=OuterRef("pk"), status=Objection.Status.OPEN)
    exam_over = Q(exam_end_date__lte=today) | Q(exam_end_date__isnull=True, exam_date__lte=today)
    return {
        Act.START: Q(exam_date__lte=today),
        Act.SCORING: exam_over,
        Act.APPROVE: ~Exists(incomplete),
        Act.PUBLICITY: Q(exam_date__lte=today),
        Act.CLOSE: Q(publicity_end__lt=today) & ~Exists(open_objections),
        Act.ISSUE: Q(issuance__isnull=True),
    }


def _inbox_actions() -> list[PlanAction]:
    """The steps that move a plan on (not 取消), and issuing certificates."""
    return [a for a in TABLE if (a.step and a.key != Act.CANCEL) or a.key == Act.ISSUE]


def _plans_url(org: Organization, status: str = "") -> str:
    url = reverse("certify:plan_list", args=[org.pk])
    return f"{url}?{urlencode({'status': status})}" if status else url


def _one_or_list(org: Organization, n: int, first: int | None, one: Callable[[int], str], status: str = "") -> str:
    """The plan's own page when there is one, else the organisation's plans (in that state)."""
    return one(first) if n == 1 and first else _plans_url(org, status)


def _plan_page(org: Organization) -> Callable[[int], str]:
    return lambda pk: reverse("certify:plan_detail", args=[org.pk, pk])


@dataclass(frozen=True)
class _Ctx:
    user: object
    orgs: list[Organization]
    by_pk: dict[int, Organization]
    today: dt.date

    def having(self, perm: str) -> list[Organization]:
        return organizations_with_perm(self.user, perm, self.orgs)


def _plan_steps(ctx: _Ctx) -> list[InboxItem]:
    due = _due(ctx.today)
    wanted: dict[str, tuple[PlanAction, Q]] = {}
    for action in _inbox_actions():
        permitted = [org.pk for org in ctx.orgs if action.permission(ctx.user, AssessmentPlan(organization=org))]
        if permitted:
            q = Q(organization_id__in=permitted, status__in=action.sources) & due.get(action.key, Q())
            wanted[action.key] = (action, q)
    if not wanted:
        return []
    aggregates = {}
    for key, (_action, q) in wanted.items():
        aggregates[f"n_{key}"] = Count("pk", filter=q)
        aggregates[f"first_{key}"] = Min("pk", filter=q)
    rows = AssessmentPlan.objects.filter(organization__in=ctx.orgs).values("organization").annotate(**aggregates)
    items = []
    for row in rows.order_by():
        org = ctx.by_pk[row["organization"]]
        for key, (action, _q) in wanted.items():
            n = row[f"n_{key}"]
            status = next(iter(action.sources)) if len(action.sources) == 1 else ""
            url = _one_or_list(org, n, row[f"first_{key}"], _plan_page(org), status)
            label = str(_WAITING.get(key, action.label))
            items.append(InboxItem(f"plan.{key}", label, n, url, _("个计划"), organization_id=org.pk))
    return items


def _declarations(ctx: _Ctx, orgs: list[Organization]) -> list[InboxItem]:
    rows = (
        PlanAssessor.objects.filter(
            user=ctx.user, declared_at__isnull=True, plan__status=S.DRAFT, plan__organization__in=orgs
        )
        .values("plan__organization")
        .annotate(n=Count("plan", distinct=True), first=Min("plan"), voided=Count("pk", filter=~Q(declaration="")))
        .order_by()
    )
    items = []
    for row in rows:
        org = ctx.by_pk[row["plan__organization"]]
        note = _("其中 %(n)d 份因考生名单变化已失效，须重新提交") % {"n": row["voided"]} if row["voided"] else ""
        url = _one_or_list(org, row["n"], row["first"], _plan_page(org), S.DRAFT)
        items.append(InboxItem("assessor.declare", _("待提交回避声明"), row["n"], url, _("个计划"), note, org.pk))
    return items


def _waiting_for_scores(user) -> Exists:
    """A candidate of the plan still without this assessor's part: a theory mark from anyone, or the
    assessor's own practical or review score; candidates they declared a relation with excepted."""

    def part(duty: str, component: str, anyone: bool) -> Q:
        scored = Score.objects.filter(enrolment=OuterRef("pk"), component=component, replaced_by__isnull=True)
        if not anyone:
            scored = scored.filter(assessor=user)
        on_duty = PlanAssessor.objects.filter(plan=OuterRef("plan"), user=user, duty=duty)
        return Q(Exists(on_duty)) & ~Exists(scored)

    recused = RecusalRelation.objects.filter(enrolment=OuterRef("pk"), assessor__user=user)
    waiting = (
        Enrolment.objects.filter(plan=OuterRef("pk"), status=REGISTERED)
        .filter(
            part(PlanAssessor.Duty.THEORY, Score.Component.THEORY, True)
            | part(PlanAssessor.Duty.PRACTICAL, Score.Component.PRACTICAL, False)
            | part(PlanAssessor.Duty.REVIEW, Score.Component.REVIEW, False)
        )
        .exclude(Exists(recused))
    )
    return Exists(waiting)


def _sheets(ctx: _Ctx, orgs: list[Organization]) -> list[InboxItem]:
    on_panel = PlanAssessor.objects.filter(plan=OuterRef("pk"), user=ctx.user)
    rows = (
        AssessmentPlan.objects.filter(organization__in=orgs, status=S.SCORING)
        .filter(Exists(on_panel), _waiting_for_scores(ctx.user))
        .values("organization")
        .annotate(n=Count("pk"), first=Min("pk"))
        .order_by()
    )
    items = []
    for row in rows:
        org = ctx.by_pk[row["organization"]]
        url = _one_or_list(org, row["n"], row["first"], lambda pk, o=org: _score_sheet(o, pk), S.SCORING)
        items.append(
            InboxItem("assessor.sheets", _("待填写的评分表"), row["n"], url, _("个计划"), organization_id=org.pk)
        )
    return items


def _score_sheet(org: Organization, pk: int) -> str:
    return reverse("certify:score_sheet", args=[org.pk, pk])


def _direct_gradings(ctx: _Ctx, orgs: list[Organization]) -> list[InboxItem]:
    rows = (
        Enrolment.objects.filter(
            organization__in=orgs,
            status=REGISTERED,
            direct_status=Enrolment.DirectStatus.PENDING,
            plan__status=S.DRAFT,
        )
        .values("organization")
        .annotate(n=Count("pk"), plans=Count("plan", distinct=True), first=Min("plan"))
        .order_by()
    )
    items = []
    for row in rows:
        org = ctx.by_pk[row["organization"]]
        url = _one_or_list(org, row["plans"], row["first"], _plan_page(org), S.DRAFT)
        items.append(
            InboxItem("reviewer.direct", _("待审批的定级申报"), row["n"], url, _("名考生"), organization_id=org.pk)
        )
    return items


def _revocations(ctx: _Ctx, orgs: list[Organization]) -> list[InboxItem]:
    """Revocation requests waiting for a second person (never the requester's own)."""
    rows = (
        RevocationRequest.objects.filter(organization__in=orgs, status=RevocationRequest.Status.PENDING)
        .exclude(requested_by=ctx.user)
        .values("organization")
        .annotate(n=Count("pk"))
        .order_by()
    )
    items = []
    for row in rows:
        org = ctx.by_pk[row["organization"]]
        url = reverse("certify:certificate_list", args=[org.pk]) + "#revocations-waiting"
        items.append(
            InboxItem("reviewer.revocation", _("待审批的证书撤销申请"), row["n"], url, _("项"), organization_id=org.pk)
        )
    return items


def _photos(ctx: _Ctx, orgs: list[Organization]) -> list[InboxItem]:
    """Candidates who will need a photo for their certificate and have none yet."""
    before_issue = Q(plan__status__in=OPEN_STATES) | Q(
        plan__status=S.CLOSED, plan__issuance__isnull=True, result__outcome=Result.Outcome.PASS
    )
    rows = (
        Enrolment.objects.filter(organization__in=orgs, status=REGISTERED, photo="")
        .filter(before_issue)
        .values("organization")
        .annotate(n=Count("pk"), plans=Count("plan", distinct=True), first=Min("plan"))
        .order_by()
    )
    items = []
    for row in rows:
        org = ctx.by_pk[row["organization"]]
        url = _one_or_list(org, row["plans"], row["first"], _plan_page(org))
        note = _("分布在 %(n)d 个计划中") % {"n": row["plans"]} if row["plans"] > 1 else ""
        items.append(InboxItem("operator.photos", _("缺少证件照的考生"), row["n"], url, _("名"), note, org.pk))
    return items


def _failed_batches(ctx: _Ctx, orgs: list[Organization]) -> list[InboxItem]:
    failed_pdf = Certificate.objects.filter(batch=OuterRef("pk"), pdf_status=Certificate.PdfStatus.FAILED)
    rows = (
        IssuanceBatch.objects.filter(organization__in=orgs)
        .filter(Q(status=IssuanceBatch.Status.FAILED) | Exists(failed_pdf))
        .values("organization")
        .annotate(n=Count("pk"), first=Min("plan"))
        .order_by()
    )
    items = []
    for row in rows:
        org = ctx.by_pk[row["organization"]]
        progress = lambda pk, o=org: reverse("certify:issuance_progress", args=[o.pk, pk])  # noqa: E731
        url = _one_or_list(org, row["n"], row["first"], progress, S.CLOSED)
        items.append(
            InboxItem("operator.failed", _("出错待重试的发证批次"), row["n"], url, _("批"), organization_id=org.pk)
        )
    return items


def _uploads(ctx: _Ctx, orgs: list[Organization]) -> list[InboxItem]:
    U = Certificate.UploadStatus
    rows = (
        Certificate.objects.filter(organization__in=orgs)
        .exclude(status__in=[Certificate.Status.REPLACED, Certificate.Status.REVOKED])
        .filter(upload_status__in=[U.PENDING, U.REJECTED])
        .values("organization")
        .annotate(
            pending=Count("pk", filter=Q(upload_status=U.PENDING)),
            rejected=Count("pk", filter=Q(upload_status=U.REJECTED)),
        )
        .order_by()
    )
    items = []
    for row in rows:
        org = ctx.by_pk[row["organization"]]
        items.append(
            InboxItem(
                "operator.upload",
                _("待上报全国联网数据库的证书"),
                row["pending"],
                reverse("certify_export:export_page", args=[org.pk]),
                _("本"),
                organization_id=org.pk,
            )
        )
        items.append(
            InboxItem(
                "operator.rejected",
                _("被退回、待更正重报的证书"),
                row["rejected"],
                reverse("certify_export:results_page", args=[org.pk]),
                _("本"),
                organization_id=org.pk,
            )
        )
    return items


def expiry_note(days: int) -> str:
    return _("今天到期") if days <= 0 else ngettext("将于 %(n)d 天后到期", "将于 %(n)d 天后到期", days) % {"n": days}


def _filings(ctx: _Ctx, orgs: list[Organization]) -> list[InboxItem]:
    notice = int(settings.SKILLCERT_FILING_EXPIRY_NOTICE_DAYS)
    rows = (
        Filing.objects.filter(
            organization__in=orgs,
            status=Filing.Status.ACTIVE,
            valid_until__gte=ctx.today,
            valid_until__lte=ctx.today + dt.timedelta(days=notice),
        )
        .values("organization")
        .annotate(n=Count("pk"), first=Min("pk"), soonest=Min("valid_until"))
        .order_by()
    )
    items = []
    for row in rows:
        org = ctx.by_pk[row["organization"]]
        if row["n"] == 1:
            url = reverse("certify:org_filing_detail", args=[org.pk, row["first"]])
        else:
            url = reverse("certify:org_filing_list", args=[org.pk])
        note = expiry_note((row["soonest"] - ctx.today).days) + _("，请向人社局申请续期")
        items.append(InboxItem("operator.filings", _("即将到期的备案"), row["n"], url, _("份"), note, org.pk))
    return items


# Each kind of work, and the right a member needs to be shown it.
_BY_PERM: tuple[tuple[str, Callable[[_Ctx, list[Organization]], list[InboxItem]]], ...] = (
    (OrgPerm.REGISTER_CANDIDATES, _photos),
    (OrgPerm.ISSUE_CERTIFICATES, _failed_batches),
    (OrgPerm.EXPORT_DATA, _uploads),
    (OrgPerm.MANAGE_PLANS, _filings),
    (OrgPerm.ENTER_SCORES, _declarations),
    (OrgPerm.ENTER_SCORES, _sheets),
    (OrgPerm.APPROVE_EXCEPTIONS, _direct_gradings),
    (OrgPerm.APPROVE_EXCEPTIONS, _revocations),
)


def organization_items(user, organizations: Iterable[Organization]) -> list[InboxItem]:
    """Everything ``user`` has to do in ``organizations`` (zero counts included; the registry
    drops them)."""
    orgs = list(organizations)
    ctx = _Ctx(user, orgs, {org.pk: org for org in orgs}, timezone.localdate())
    if not ctx.having(OrgPerm.VIEW):
        return []
    items = _plan_steps(ctx)
    for perm, provider in _BY_PERM:
        having = ctx.having(perm)
        if having:
            items.extend(provider(ctx, having))
    return items
