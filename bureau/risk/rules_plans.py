"""Risk rules on plans and organisations: 定级 share (7), short lead time (8), repeated
revocations (9), the same person at several organisations (10)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Exists, F, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from bureau.risk.findings import (
    MAX_LINKS,
    RECOUNT_MARGIN_DAYS,
    Finding,
    Link,
    R,
    ScanContext,
    _certificate_link,
    _local_day,
    _plan_link,
)
from certify.conf import conf
from certify.models import (
    AssessmentPlan,
    CalendarDay,
    Certificate,
    Enrolment,
)
from lib import workdays


def rule_direct_share(ctx: ScanContext) -> list[Finding]:
    """Filed plans (any later status except cancelled) with at least ``direct_min_candidates``
    registered candidates, more than ``direct_share_percent`` of them on the 定级 route (a
    rejected 定级 application is not counted: that candidate is not admitted)."""
    cfg = ctx.cfg
    registered = Q(enrolments__status=Enrolment.Status.REGISTERED)
    direct = (
        registered
        & Q(enrolments__route=Enrolment.Route.DIRECT)
        & ~Q(enrolments__direct_status=Enrolment.DirectStatus.REJECTED)
    )
    plans = (
        AssessmentPlan.objects.filter(filed_at__isnull=False)
        .exclude(status=AssessmentPlan.Status.CANCELLED)
        .annotate(total=Count("enrolments", filter=registered), direct=Count("enrolments", filter=direct))
        .annotate(direct_x100=F("direct") * 100, total_x_limit=F("total") * cfg.direct_share_percent)
        .filter(total__gte=cfg.direct_min_candidates, direct__gt=0, direct_x100__gt=F("total_x_limit"))
        .order_by("pk")
    )
    findings = []
    for plan in plans:
        percent = round(plan.direct * 100 / plan.total)
        findings.append(
            Finding(
                rule=R.DIRECT_SHARE,
                organization_id=plan.organization_id,
                target_type="certify.assessmentplan",
                target_id=str(plan.pk),
                target_repr=_("评价计划 %(n)s %(t)s") % {"n": plan.number, "t": plan.title},
                summary=_("评价计划 %(n)s：%(k)d 名考生中 %(d)d 名为定级申报（%(p)d%%），超过 %(limit)d%%")
                % {
                    "n": plan.number,
                    "k": plan.total,
                    "d": plan.direct,
                    "p": percent,
                    "limit": cfg.direct_share_percent,
                },
                evidence={
                    "plan": plan.pk,
                    "candidates": plan.total,
                    "direct": plan.direct,
                    "percent": percent,
                    "limit": cfg.direct_share_percent,
                },
                link=_plan_link(plan.organization_id, plan.pk, plan.number),
                facts=(
                    (_("报名考生"), plan.total),
                    (_("定级申报"), f"{plan.direct}（{percent}%）"),
                    (
                        _("阈值"),
                        _("不少于 %(n)d 名考生且占比超过 %(p)d%%")
                        % {"n": cfg.direct_min_candidates, "p": cfg.direct_share_percent},
                    ),
                ),
                signature=f"{plan.direct}/{plan.total}",
            )
        )
    return findings


def rule_short_lead(ctx: ScanContext) -> list[Finding]:
    """Filed plans (not cancelled) whose lead time — working days after the filing day up to the
    exam date — is below ``PLAN_LEAD_WORKING_DAYS``: either as recorded at filing, or recounted
    with today's calendar (a holiday the bureau entered after the filing, e.g. next year's
    arrangement that was not yet known, can make a filing short after the fact)."""
    required = int(conf("PLAN_LEAD_WORKING_DAYS"))
    candidates = list(
        AssessmentPlan.objects.filter(filed_at__isnull=False)
        .exclude(status=AssessmentPlan.Status.CANCELLED)
        .filter(Q(filed_lead_days__isnull=True) | Q(filed_lead_days__lt=required + RECOUNT_MARGIN_DAYS))
        .order_by("pk")
    )
    if not candidates:
        return []
    starts = {plan.pk: timezone.localtime(plan.filed_at).date() for plan in candidates}
    first, last = min(starts.values()), max(max(p.exam_date for p in candidates), max(starts.values()))
    overrides = dict(CalendarDay.objects.filter(day__gte=first, day__lte=last).values_list("day", "is_working_day"))
    findings = []
    for plan in candidates:
        recount = workdays.working_days_between(starts[plan.pk], plan.exam_date, overrides=overrides)
        recorded = plan.filed_lead_days
        lead = recount if recorded is None else min(recorded, recount)
        if lead >= required:
            continue
        findings.append(
            Finding(
                rule=R.SHORT_LEAD,
                organization_id=plan.organization_id,
                target_type="certify.assessmentplan",
                target_id=str(plan.pk),
                target_repr=_("评价计划 %(n)s %(t)s") % {"n": plan.number, "t": plan.title},
                summary=_short_lead_summary(plan, starts[plan.pk], lead, required),
                evidence={
                    "plan": plan.pk,
                    "filed_at": plan.filed_at,
                    "exam_date": plan.exam_date,
                    "recorded_lead": recorded,
                    "recounted_lead": recount,
                    "required": required,
                },
                link=_plan_link(plan.organization_id, plan.pk, plan.number),
                links=(Link("bureau:calendar_list", (), _("节假日安排")),),
                facts=(
                    (_("报备时间"), _local_day(plan.filed_at)),
                    (_("考核日期"), plan.exam_date.isoformat()),
                    (_("报备时记录的提前工作日"), "—" if recorded is None else recorded),
                    (_("按现行节假日安排重算"), recount),
                    (_("规定"), _("至少 %(n)d 个工作日") % {"n": required}),
                ),
                signature=f"{lead}",
            )
        )
    return findings


def _short_lead_summary(plan: AssessmentPlan, filed_on, lead: int, required: int) -> str:
    """How short the lead was, in words: a plan filed on or after its exam day has no lead at all."""
    values = {"n": plan.number, "f": filed_on.isoformat(), "d": plan.exam_date.isoformat(), "req": required}
    if filed_on > plan.exam_date:
        return _("评价计划 %(n)s 于 %(f)s 报备，晚于考核日期 %(d)s（应在考核前至少 %(req)d 个工作日报备）") % values
    if filed_on == plan.exam_date:
        return _("评价计划 %(n)s 于考核当天 %(f)s 才报备（应在考核前至少 %(req)d 个工作日报备）") % values
    if lead <= 0:
        return _("评价计划 %(n)s 于 %(f)s 报备，距考核日期 %(d)s 已无工作日（应不少于 %(req)d 个）") % values
    return _("评价计划 %(n)s 于 %(f)s 报备，距考核日期 %(d)s 仅 %(lead)d 个工作日，应不少于 %(req)d 个") % {
        **values,
        "lead": lead,
    }


def rule_repeated_revocations(ctx: ScanContext) -> list[Finding]:
    """Organisations that revoked at least ``revocation_limit`` certificates in the last
    ``revocation_window_days`` days. One flag per organisation; a newer revocation is new evidence
    (it reopens a resolved flag), an old one leaving the window is not."""
    cfg = ctx.cfg
    start = ctx.now - dt.timedelta(days=cfg.revocation_window_days)
    revoked = Certificate.objects.filter(status=Certificate.Status.REVOKED, revoked_at__gte=start)
    heavy = list(
        revoked.values("organization_id")
        .annotate(count=Count("pk"), newest=Max("pk"))
        .filter(count__gte=cfg.revocation_limit)
        .order_by("organization_id")
    )
    if not heavy:
        return []
    orgs = Organization.objects.in_bulk(h["organization_id"] for h in heavy)
    samples: dict[int, list] = defaultdict(list)
    rows = revoked.filter(organization_id__in=list(orgs)).order_by("-revoked_at", "-pk")
    for pk, org_id, number, category in rows.values_list("pk", "organization_id", "number", "reason_category"):
        if len(samples[org_id]) < MAX_LINKS:
            samples[org_id].append((pk, number, category))
    findings = []
    for h in heavy:
        org = orgs[h["organization_id"]]
        categories: dict[str, int] = defaultdict(int)
        for _pk, _n, category in samples[org.pk]:
            categories[category] += 1
        labels = dict(Certificate.RevokeReason.choices)
        findings.append(
            Finding(
                rule=R.REPEATED_REVOCATIONS,
                organization_id=org.pk,
                target_type="accounts.organization",
                target_id=str(org.pk),
                target_repr=org.name,
                summary=_("%(org)s 近 %(days)d 天撤销证书 %(n)d 张")
                % {"org": org.name, "days": cfg.revocation_window_days, "n": h["count"]},
                evidence={
                    "organization": org.pk,
                    "revoked": h["count"],
                    "window_days": cfg.revocation_window_days,
                    "limit": cfg.revocation_limit,
                    "certificates": [pk for pk, _n, _c in samples[org.pk]],
                },
                link=Link(
                    "certify:certificate_list",
                    (org.pk,),
                    _("%(org)s 已撤销的证书") % {"org": org.name},
                    query="status=revoked",
                ),
                links=tuple(_certificate_link(org.pk, pk, n) for pk, n, _c in samples[org.pk]),
                facts=(
                    (_("期间"), _("近 %(n)d 天") % {"n": cfg.revocation_window_days}),
                    (_("撤销证书"), h["count"]),
                    (
                        _("撤销原因（最近 %(n)d 张）") % {"n": len(samples[org.pk])},
                        "；".join(f"{labels.get(c, c or '—')} {k}" for c, k in categories.items()),
                    ),
                    (_("阈值"), _("达到 %(n)d 张") % {"n": cfg.revocation_limit}),
                ),
                signature=str(h["newest"]),
            )
        )
    return findings


def rule_cross_org_duplicate(ctx: ScanContext) -> list[Finding]:
    """Registrations in open plans, since the window start, whose person is also registered for the
    same occupation and level in an open plan of another organisation, or holds that certificate from another
    organisation (重复考证 / 一人多证 across organisations). Clerks are never told what another
    organisation holds, so the bureau is: one flag per registration, naming both sides."""
    same = {"person": OuterRef("person"), "occupation": OuterRef("plan__occupation"), "level": OuterRef("plan__level")}
    elsewhere = Enrolment.objects.filter(
        person=same["person"],
        plan__occupation=same["occupation"],
        plan__level=same["level"],
        status=Enrolment.Status.REGISTERED,
    ).exclude(organization=OuterRef("organization"))
    elsewhere = elsewhere.exclude(plan__status__in=[AssessmentPlan.Status.CANCELLED, AssessmentPlan.Status.CLOSED])
    held = Certificate.objects.filter(
        person=same["person"],
        occupation=same["occupation"],
        level=same["level"],
        status__in=[Certificate.Status.VALID, Certificate.Status.SUSPENDED],
    ).exclude(organization=OuterRef("organization"))
    rows = (
        Enrolment.objects.filter(status=Enrolment.Status.REGISTERED, created_at__gte=ctx.since)
        .exclude(plan__status__in=[AssessmentPlan.Status.CANCELLED, AssessmentPlan.Status.CLOSED])
        .annotate(applying=Exists(elsewhere), holding=Exists(held))
        .filter(Q(applying=True) | Q(holding=True))
        .select_related("plan__occupation", "organization", "person")
        .order_by("pk")
    )
    findings = []
    for enrolment in rows:
        plan = enrolment.plan
        others = [f"{e.organization.name}（{e.plan.number}）" for e in _duplicates_elsewhere(enrolment)]
        others += [f"{c.organization_name}（{c.number}）" for c in _held_elsewhere(enrolment)]
        findings.append(
            Finding(
                rule=R.CROSS_ORG_DUPLICATE,
                organization_id=enrolment.organization_id,
                target_type="certify.enrolment",
                target_id=str(enrolment.pk),
                target_repr=_("%(name)s（计划 %(n)s）") % {"name": enrolment.person.name, "n": plan.number},
                summary=_("%(name)s 在%(org)s申报%(occ)s%(level)s，同时在其他机构申报或持有同职业同等级证书")
                % {
                    "name": enrolment.person.name,
                    "org": enrolment.organization.name,
                    "occ": plan.occupation.name,
                    "level": plan.level_wording,
                },
                evidence={"enrolment": enrolment.pk, "person": enrolment.person_id, "elsewhere": others},
                link=_plan_link(enrolment.organization_id, plan.pk, plan.number),
                facts=(
                    (_("本次申报"), f"{enrolment.organization.name}（{plan.number}）"),
                    (_("其他机构"), "；".join(others)),
                ),
                signature="|".join(sorted(others)),
            )
        )
    return findings


def _duplicates_elsewhere(enrolment: Enrolment) -> list[Enrolment]:
    plan = enrolment.plan
    return list(
        Enrolment.objects.filter(
            person_id=enrolment.person_id,
            plan__occupation_id=plan.occupation_id,
            plan__level=plan.level,
            status=Enrolment.Status.REGISTERED,
        )
        .exclude(organization_id=enrolment.organization_id)
        .exclude(plan__status__in=[AssessmentPlan.Status.CANCELLED, AssessmentPlan.Status.CLOSED])
        .select_related("organization", "plan")
        .order_by("pk")[:MAX_LINKS]
    )


def _held_elsewhere(enrolment: Enrolment) -> list[Certificate]:
    plan = enrolment.plan
    return list(
        Certificate.objects.filter(
            person_id=enrolment.person_id,
            occupation_id=plan.occupation_id,
            level=plan.level,
            status__in=[Certificate.Status.VALID, Certificate.Status.SUSPENDED],
        )
        .exclude(organization_id=enrolment.organization_id)
        .order_by("pk")[:MAX_LINKS]
    )
