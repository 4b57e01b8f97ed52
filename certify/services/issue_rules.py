"""Who gets a certificate of a closed plan, and what blocks issuing it: read-only, so the plan
actions table (its checks) and the issuing service ask the same questions."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext as _

from certify.models import AssessmentPlan, Certificate, Enrolment, Person, Result
from certify.services.filings import filing_coverage


def held_elsewhere(person: Person, *, occupation, work_type, level: int, exclude_enrolment=None):
    """A current, valid certificate of this person for the same occupation, 工种 and level."""
    qs = Certificate.objects.filter(
        person=person,
        occupation=occupation,
        level=level,
        status__in=[Certificate.Status.VALID, Certificate.Status.SUSPENDED],
    ).filter(Q(work_type=work_type) if work_type else Q(work_type__isnull=True))
    if exclude_enrolment is not None:
        qs = qs.exclude(enrolment=exclude_enrolment)
    return qs.first()


def held_reason(other: Certificate, plan: AssessmentPlan) -> str:
    """Why a candidate gets no certificate: the number only when this organisation issued it —
    another organisation's certificate is never named to a clerk (the bureau sees such duplicates)."""
    if other.organization_id == plan.organization_id:
        return _("已持有本机构颁发的同职业同等级证书 %(n)s") % {"n": other.number}
    return _("已持有其他评价机构颁发的同职业同等级有效证书，不能重复发证；如有疑问请联系人社局")


def issuance_candidates(plan: AssessmentPlan) -> tuple[list[Enrolment], list[dict]]:
    """Passing candidates still without a certificate, and those passed over (with the reason)."""
    passing = (
        Enrolment.objects.filter(plan=plan, status=Enrolment.Status.REGISTERED, result__outcome=Result.Outcome.PASS)
        .exclude(certificates__version=1)
        .select_related("person")
        .order_by("pk")
    )
    to_issue, skipped = [], []
    for enrolment in passing:
        other = held_elsewhere(
            enrolment.person,
            occupation=plan.occupation,
            work_type=plan.work_type,
            level=plan.level,
            exclude_enrolment=enrolment,
        )
        if other is not None:
            skipped.append(
                {"enrolment": enrolment.pk, "name": enrolment.person.name, "reason": held_reason(other, plan)}
            )
        else:
            to_issue.append(enrolment)
    return to_issue, skipped


def issuance_problems(plan: AssessmentPlan, issue_date: dt.date) -> list[str]:
    """Everything that blocks issuing this plan's certificates, in words a clerk acts on."""
    if plan.status != AssessmentPlan.Status.CLOSED:
        return [
            _("评价计划尚未结束：公示期满且异议处理完毕后方可发证（当前：%(s)s）") % {"s": plan.get_status_display()}
        ]
    problems = []
    if plan.publicity_end and issue_date <= plan.publicity_end:
        problems.append(_("发证日期须在公示期满之后（公示截止 %(end)s）") % {"end": plan.publicity_end.isoformat()})
    coverage = filing_coverage(
        organization=plan.organization,
        occupation=plan.occupation,
        work_type=plan.work_type,
        level=plan.level,
        on=issue_date,
    )
    if not coverage.ok:
        problems.append(coverage.message)
    to_issue, _skipped = issuance_candidates(plan)
    if not to_issue:
        problems.append(_("没有待发证的合格考生"))
    missing = [e.person.name for e in to_issue if not e.photo]
    if missing:
        problems.append(_("以下考生尚未上传证件照，不能发证：%(names)s") % {"names": "、".join(missing)})
    return problems
