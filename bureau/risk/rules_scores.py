"""Risk rules on scores: changed after approval (3), identical patterns (4), 100% pass in a large
plan (5), an assessor scoring too many in a day (6)."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from accounts.models import User
from bureau.risk.findings import (
    MAX_LINKS,
    Finding,
    Link,
    R,
    ScanContext,
    _local_day,
    _plan_link,
)
from certify.models import (
    AssessmentPlan,
    Enrolment,
    Result,
    Score,
)


def _shown(score: Score | None) -> str:
    if score is None:
        return "—"
    if score.outcome == Score.Outcome.SCORED:
        return str(score.value)
    return str(score.get_outcome_display())


def rule_score_after_approval(ctx: ScanContext) -> list[Finding]:
    """Every score row written after its plan's results were approved: a correction (the services
    allow one only to carry out an objection of the publicity) or any other late row. Each row is
    one flag, linked to the candidate's page, which lists all their scores."""
    rows = (
        Score.objects.filter(
            submitted_at__gte=ctx.since, plan__approved_at__isnull=False, submitted_at__gt=F("plan__approved_at")
        )
        .select_related("plan", "enrolment__person", "assessor", "replaces", "objection")
        .order_by("pk")
    )
    findings = []
    for s in rows:
        plan, name = s.plan, s.enrolment.person.name
        component = str(s.get_component_display()) + (f"·{s.subscore}" if s.subscore else "")
        change = f"{_shown(s.replaces)} → {_shown(s)}" if s.replaces_id else _shown(s)
        what = _("更正") if s.replaces_id else _("新增")
        summary = _("评价计划 %(p)s 结果审核后%(what)s成绩：%(name)s %(c)s %(change)s") % {
            "p": plan.number,
            "what": what,
            "name": name,
            "c": component,
            "change": change,
        }
        objection = s.objection
        findings.append(
            Finding(
                rule=R.SCORE_AFTER_APPROVAL,
                organization_id=s.organization_id,
                target_type="certify.score",
                target_id=str(s.pk),
                target_repr=_("%(name)s 的%(c)s成绩（计划 %(p)s）") % {"name": name, "c": component, "p": plan.number},
                summary=summary,
                evidence={
                    "score": s.pk,
                    "replaces": s.replaces_id,
                    "plan": plan.pk,
                    "enrolment": s.enrolment_id,
                    "assessor": s.assessor_id,
                    "old_value": s.replaces.value if s.replaces_id else None,
                    "new_value": s.value,
                    "outcome": s.outcome,
                    "approved_at": plan.approved_at,
                    "submitted_at": s.submitted_at,
                    "objection": s.objection_id,
                    "objection_status": objection.status if objection else None,
                },
                link=Link(
                    "certify:enrolment_detail",
                    (s.organization_id, plan.pk, s.enrolment_id),
                    _("%(name)s 的成绩") % {"name": name},
                ),
                links=(_plan_link(s.organization_id, plan.pk, plan.number),),
                facts=(
                    (_("考生"), name),
                    (_("考核项目"), component),
                    (_("成绩"), change),
                    (_("考评员"), s.assessor.get_full_name()),
                    (_("结果审核时间"), _local_day(plan.approved_at)),
                    (_("成绩提交时间"), _local_day(s.submitted_at)),
                    (_("更正原因"), s.reason or "—"),
                    (
                        _("依据的异议"),
                        f"#{objection.pk}（{objection.get_status_display()}）" if objection else _("无"),
                    ),
                ),
            )
        )
    return findings


def _plans_sharing_patterns(ctx: ScanContext) -> list[tuple[int, int, int, list]]:
    """(plan, scored candidates, candidates sharing a pattern, the shared patterns largest first)
    for each plan over the thresholds."""
    cfg = ctx.cfg
    plans = AssessmentPlan.objects.filter(approved_at__gte=ctx.since).exclude(status=AssessmentPlan.Status.CANCELLED)
    rows = Score.objects.filter(
        plan__in=plans,
        replaced_by__isnull=True,
        outcome=Score.Outcome.SCORED,
        enrolment__status=Enrolment.Status.REGISTERED,
    ).values_list("plan_id", "enrolment_id", "component", "subscore", "assessor_id", "value")
    by_plan: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for plan_id, enrolment_id, component, subscore, assessor_id, value in rows.iterator(chunk_size=5000):
        by_plan[plan_id][enrolment_id].append((component, subscore, assessor_id, value))
    hits = []
    for plan_id, patterns in by_plan.items():
        groups: dict[tuple, list[int]] = defaultdict(list)
        for enrolment_id, items in patterns.items():
            groups[tuple(sorted(items))].append(enrolment_id)
        shared = sorted(((p, sorted(g)) for p, g in groups.items() if len(g) > 1), key=lambda x: (-len(x[1]), x[1]))
        candidates, sharing = len(patterns), sum(len(g) for _p, g in shared)
        if candidates >= cfg.identical_min_candidates and sharing * 100 >= cfg.identical_share_percent * candidates:
            hits.append((plan_id, candidates, sharing, shared))
    return hits


def rule_identical_scores(ctx: ScanContext) -> list[Finding]:
    """A candidate's pattern is every current score they got (component, sub-score, assessor,
    value). Fires when a plan has at least ``identical_min_candidates`` scored candidates and at
    least ``identical_share_percent`` of them share their whole pattern with another candidate.
    Looks at plans whose results were approved in the window: the patterns are final then, and a
    later change is rule 3's business."""
    cfg = ctx.cfg
    hits = _plans_sharing_patterns(ctx)
    if not hits:
        return []
    plans_by_id = AssessmentPlan.objects.in_bulk([h[0] for h in hits])
    linked = {e for h in hits for e in h[3][0][1][:MAX_LINKS]}
    names = dict(Enrolment.objects.filter(pk__in=linked).values_list("pk", "person__name"))
    findings = []
    for plan_id, candidates, sharing, shared in hits:
        plan = plans_by_id[plan_id]
        percent = round(sharing * 100 / candidates)
        largest_pattern, largest = shared[0]
        marks: dict[str, list[str]] = defaultdict(list)
        for component, subscore, _assessor, value in largest_pattern:
            marks[str(Score.Component(component).label) + (f"·{subscore}" if subscore else "")].append(str(value))
        values = "；".join(f"{name} {'、'.join(given)}" for name, given in marks.items())
        findings.append(
            Finding(
                rule=R.IDENTICAL_SCORES,
                organization_id=plan.organization_id,
                target_type="certify.assessmentplan",
                target_id=str(plan.pk),
                target_repr=_("评价计划 %(n)s %(t)s") % {"n": plan.number, "t": plan.title},
                summary=_("评价计划 %(n)s：%(k)d 名考生中 %(s)d 名（%(p)d%%）的全部成绩与他人完全相同")
                % {"n": plan.number, "k": candidates, "s": sharing, "p": percent},
                evidence={
                    "plan": plan.pk,
                    "candidates": candidates,
                    "sharing": sharing,
                    "percent": percent,
                    "groups": [g[:MAX_LINKS] for _p, g in shared[:5]],
                    "group_sizes": [len(g) for _p, g in shared],
                },
                link=_plan_link(plan.organization_id, plan.pk, plan.number),
                links=tuple(
                    Link(
                        "certify:enrolment_detail",
                        (plan.organization_id, plan.pk, e),
                        _("%(name)s 的成绩") % {"name": names.get(e, e)},
                    )
                    for e in largest[:MAX_LINKS]
                ),
                facts=(
                    (_("有成绩的考生"), candidates),
                    (_("成绩与他人完全相同的考生"), f"{sharing}（{percent}%）"),
                    (_("相同成绩组数"), len(shared)),
                    (_("最大一组人数"), len(largest)),
                    (_("最大一组的成绩"), values),
                    (
                        _("阈值"),
                        _("不少于 %(n)d 名考生且占比达到 %(p)d%%")
                        % {"n": cfg.identical_min_candidates, "p": cfg.identical_share_percent},
                    ),
                ),
                signature=f"{sharing}/{candidates}",
            )
        )
    return findings


def rule_full_pass(ctx: ScanContext) -> list[Finding]:
    """Approved plans with more than ``full_pass_min_candidates`` assessed candidates (registered,
    not absent) where every one of them passed."""
    cfg = ctx.cfg
    active = Q(results__enrolment__status=Enrolment.Status.REGISTERED)
    plans = (
        AssessmentPlan.objects.filter(approved_at__isnull=False)
        .exclude(status=AssessmentPlan.Status.CANCELLED)
        .annotate(
            assessed=Count("results", filter=active & ~Q(results__outcome=Result.Outcome.ABSENT)),
            passed=Count("results", filter=active & Q(results__outcome=Result.Outcome.PASS)),
        )
        .filter(assessed__gt=cfg.full_pass_min_candidates, passed=F("assessed"))
        .order_by("pk")
    )
    return [
        Finding(
            rule=R.FULL_PASS,
            organization_id=plan.organization_id,
            target_type="certify.assessmentplan",
            target_id=str(plan.pk),
            target_repr=_("评价计划 %(n)s %(t)s") % {"n": plan.number, "t": plan.title},
            summary=_("评价计划 %(n)s：%(k)d 名参评考生全部合格") % {"n": plan.number, "k": plan.assessed},
            evidence={
                "plan": plan.pk,
                "assessed": plan.assessed,
                "passed": plan.passed,
                "threshold": cfg.full_pass_min_candidates,
            },
            link=_plan_link(plan.organization_id, plan.pk, plan.number),
            facts=(
                (_("参评考生（不含缺考）"), plan.assessed),
                (_("合格"), plan.passed),
                (_("阈值"), _("考生数超过 %(n)d 且合格率 100%%") % {"n": cfg.full_pass_min_candidates}),
            ),
            signature=f"{plan.assessed}",
        )
        for plan in plans
    ]


def rule_assessor_overload(ctx: ScanContext) -> list[Finding]:
    """An assessor who scored more than ``assessor_daily_limit`` different candidates on one
    calendar day (Asia/Shanghai, by submission time), across all plans. Practical and review
    scores only: theory papers are marked quickly or by machine. Corrections add no candidate."""
    cfg = ctx.cfg
    scores = Score.objects.filter(
        submitted_at__gte=ctx.since,
        replaces__isnull=True,
        component__in=[Score.Component.PRACTICAL, Score.Component.REVIEW],
    ).annotate(day=TruncDate("submitted_at"))
    busy = list(
        scores.values("assessor_id", "day")
        .annotate(candidates=Count("enrolment_id", distinct=True))
        .filter(candidates__gt=cfg.assessor_daily_limit)
        .order_by("assessor_id", "day")
    )
    if not busy:
        return []
    keys = {(b["assessor_id"], b["day"]) for b in busy}
    per_plan: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    for row in (
        scores.filter(assessor_id__in={k[0] for k in keys})
        .values("assessor_id", "day", "plan_id")
        .annotate(candidates=Count("enrolment_id", distinct=True))
        .order_by("-candidates", "plan_id")
    ):
        if (row["assessor_id"], row["day"]) in keys:
            per_plan[(row["assessor_id"], row["day"])].append((row["plan_id"], row["candidates"]))
    users = User.objects.in_bulk(k[0] for k in keys)
    plans = AssessmentPlan.objects.in_bulk({p for rows in per_plan.values() for p, _n in rows})
    findings = []
    for b in busy:
        key = (b["assessor_id"], b["day"])
        user, day = users[b["assessor_id"]], b["day"]
        rows = per_plan[key]
        main = plans[rows[0][0]]
        findings.append(
            Finding(
                rule=R.ASSESSOR_OVERLOAD,
                organization_id=main.organization_id,
                target_type="accounts.user",
                target_id=f"{user.pk}:{day.isoformat()}",
                target_repr=_("考评员 %(name)s（%(day)s）") % {"name": user.get_full_name(), "day": day.isoformat()},
                summary=_("考评员 %(name)s 于 %(day)s 为 %(n)d 名考生评分，超过每日 %(limit)d 人")
                % {
                    "name": user.get_full_name(),
                    "day": day.isoformat(),
                    "n": b["candidates"],
                    "limit": cfg.assessor_daily_limit,
                },
                evidence={
                    "assessor": user.pk,
                    "day": day,
                    "candidates": b["candidates"],
                    "limit": cfg.assessor_daily_limit,
                    "plans": [[p, n] for p, n in rows],
                },
                link=_plan_link(main.organization_id, main.pk, main.number),
                links=tuple(_plan_link(plans[p].organization_id, p, plans[p].number) for p, _n in rows[1:MAX_LINKS]),
                facts=(
                    (_("考评员"), user.get_full_name()),
                    (_("日期"), day.isoformat()),
                    (_("评分考生数"), b["candidates"]),
                    (
                        _("涉及计划"),
                        "；".join(_("%(p)s：%(n)d 人") % {"p": plans[p].number, "n": n} for p, n in rows),
                    ),
                    (_("阈值"), _("每日不超过 %(n)d 人") % {"n": cfg.assessor_daily_limit}),
                ),
                signature=f"{b['candidates']}",
            )
        )
    return findings
