"""Risk rule on deadlines: results published late (domain.md §4 — results are published within
``RESULTS_PUBLICITY_WORKING_DAYS`` working days after the exam ends), or not published although
that day has passed."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bureau.risk.findings import Finding, R, ScanContext, _plan_link
from certify.conf import conf
from certify.models import AssessmentPlan, CalendarDay
from lib import workdays

S = AssessmentPlan.Status
_WAITING = (S.IN_PROGRESS, S.SCORING, S.RESULTS_APPROVED)  # examined, results not yet published


def rule_late_publicity(ctx: ScanContext) -> list[Finding]:
    """Plans whose publicity started after the deadline, and examined plans still unpublished
    after it (counted with the official calendar and the bureau's own entries)."""
    allowed = int(conf("RESULTS_PUBLICITY_WORKING_DAYS"))
    today = timezone.localtime(ctx.now).date()
    plans = list(
        AssessmentPlan.objects.filter(Q(publicity_start__isnull=False) | Q(status__in=_WAITING))
        .exclude(status=S.CANCELLED)
        .filter(exam_date__gte=ctx.since.date() - dt.timedelta(days=90), exam_date__lt=today)
        .order_by("pk")
    )
    if not plans:
        return []
    first = min(p.exam_date for p in plans)
    overrides = dict(CalendarDay.objects.filter(day__gte=first).values_list("day", "is_working_day"))
    findings = []
    for plan in plans:
        exam_end = plan.exam_end_date or plan.exam_date
        deadline = workdays.add_working_days(exam_end, allowed, overrides=overrides)
        published = plan.publicity_start
        if (published or today) <= deadline:
            continue
        late = workdays.working_days_between(deadline, published or today, overrides=overrides)
        facts = [
            (_("考核结束"), exam_end.isoformat()),
            (_("应公示结果的最后一天"), deadline.isoformat()),
            (_("规定"), _("考核结束后 %(n)d 个工作日内公示结果") % {"n": allowed}),
        ]
        if published:
            summary = _("评价计划 %(n)s 于 %(p)s 才公示结果，超过期限（%(d)s）%(late)d 个工作日") % {
                "n": plan.number,
                "p": published.isoformat(),
                "d": deadline.isoformat(),
                "late": late,
            }
            facts.append((_("公示开始"), published.isoformat()))
        else:
            summary = _("评价计划 %(n)s 考核已结束，结果至今未公示，已超过期限（%(d)s）%(late)d 个工作日") % {
                "n": plan.number,
                "d": deadline.isoformat(),
                "late": late,
            }
        findings.append(
            Finding(
                rule=R.LATE_PUBLICITY,
                organization_id=plan.organization_id,
                target_type="certify.assessmentplan",
                target_id=str(plan.pk),
                target_repr=_("评价计划 %(n)s %(t)s") % {"n": plan.number, "t": plan.title},
                summary=summary,
                evidence={
                    "plan": plan.pk,
                    "exam_end": exam_end,
                    "deadline": deadline,
                    "publicity_start": published,
                    "late_working_days": late,
                    "allowed": allowed,
                },
                link=_plan_link(plan.organization_id, plan.pk, plan.number),
                facts=tuple(facts),
                # a published plan's finding is final; an unpublished one is refreshed when published
                signature=f"{'published' if published else 'waiting'}",
            )
        )
    return findings
