"""Assessment plans (评价计划): draft → filed → in progress → scoring → results approved →
publicity → closed, or cancelled. Each step is one service here; the states it starts from, who
may take it and what it needs are its entry in the plan actions table (``certify.actions``),
which the service asks before it writes and the plan page shows before anyone clicks.

The panel and recusal declarations (``plan_panel``), the bureau's supervision
(``plan_supervision``) and the checks of each step (``plan_checks``) live beside this module;
their services are re-exported here so that callers keep one import path for plan services.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import remove_perm

from accounts.models import Organization, User
from accounts.permissions import require
from audit.events import EventType
from audit.history import save_tracked
from certify.actions import Act, require_action
from certify.conf import conf
from certify.models import AssessmentPlan, Enrolment, Result, StandardVersion
from certify.permissions import can_manage_plans
from certify.services import calendar
from certify.services.enrolments import facts_of
from certify.services.plan_base import active_enrolments, lock_plan, plan_event
from certify.services.plan_checks import (  # noqa: F401  (re-exported)
    Check,
    approval_checks,
    close_checks,
    filing_checks,
    filing_gate,
    panel_checks,
    plan_coverage,
)
from certify.services.plan_panel import (  # noqa: F401  (re-exported)
    assessor_add,
    assessor_remove,
    recusal_declare,
    roster_changed,
)
from certify.services.plan_supervision import (  # noqa: F401  (re-exported)
    plan_assign_supervisor,
    supervision_report_submit,
)
from lib.chain import diff
from lib.eligibility import evaluate, ruleset_from_data

S = AssessmentPlan.Status
PLAN_FIELDS = (
    "title",
    "exam_date",
    "exam_end_date",
    "venue",
    "theory_rooms",
    "allow_direct_grading",
    "contact",
    "internal_supervisor",
    "notes",
)


def _advance(actor, plan: AssessmentPlan, status: str, event_type: EventType, data: dict | None = None, **stamps):
    """One step of the lifecycle: the new status and its timestamps, saved, and its one event."""
    plan.status = status
    for field, value in stamps.items():
        setattr(plan, field, value)
    save_tracked(plan, actor=actor)
    plan_event(actor, plan, event_type, data)
    return plan


def _next_number(organization: Organization, year: int) -> str:
    # Serialised by the organisation row lock taken by the caller.
    prefix = f"{organization.province_sequence}-{year}-"
    last = (
        AssessmentPlan.objects.filter(organization=organization, number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    serial = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{serial:03d}"


def _clean_fields(changes: dict) -> dict:
    cleaned = {k: (v.strip() if isinstance(v, str) else v) for k, v in changes.items()}
    if "venue" in cleaned and not cleaned["venue"]:
        raise ValidationError({"venue": _("请填写考核地点")})
    if "title" in cleaned and not cleaned["title"]:
        raise ValidationError({"title": _("请填写计划名称")})
    if "theory_rooms" in cleaned and (cleaned["theory_rooms"] or 0) < 1:
        raise ValidationError({"theory_rooms": _("理论考场数至少为 1")})
    return cleaned


def _check_dates(plan: AssessmentPlan) -> None:
    if plan.exam_end_date and plan.exam_end_date < plan.exam_date:
        raise ValidationError({"exam_end_date": _("考核结束日期不能早于考核日期")})
    if plan.allow_direct_grading and not plan.standard_level.direct_grading_allowed:
        raise ValidationError({"allow_direct_grading": _("所依据的评价规范在该等级不允许定级")})


# --- creation and editing -----------------------------------------------------------------
@transaction.atomic
def plan_create(
    *, actor: User, organization: Organization, standard_version: StandardVersion, level: int, **fields
) -> AssessmentPlan:
    # No plan yet, so no entry of the actions table: creating one is the organisation's right.
    require(can_manage_plans(actor, organization), _("您没有管理本机构评价计划的权限"))
    organization = Organization.objects.select_for_update(of=("self",)).get(pk=organization.pk)
    version = StandardVersion.objects.select_related("standard").get(pk=standard_version.pk)
    if version.standard.organization_id != organization.pk:
        raise ValidationError({"standard_version": _("只能依据本机构的评价规范制定计划")})
    if version.status != StandardVersion.Status.PUBLISHED:
        raise ValidationError({"standard_version": _("评价规范「%(t)s」尚未发布或已停用") % {"t": version.title}})
    standard_level = version.levels.filter(level=level).first()
    if standard_level is None:
        raise ValidationError({"level": _("所选评价规范不包含该等级")})
    fields = {k: v for k, v in fields.items() if k in PLAN_FIELDS and not (k == "title" and not (v or "").strip())}
    fields = _clean_fields(fields)
    plan = AssessmentPlan(
        organization=organization,
        standard_version=version,
        standard_level=standard_level,
        occupation=version.standard.occupation,
        work_type=version.standard.work_type,
        level=level,
        created_by=actor,
        **fields,
    )
    if not plan.title:
        plan.title = f"{plan.subject}{standard_level.level_wording}评价"
    _check_dates(plan)
    filing_gate(plan, plan.exam_date, _("创建评价计划"))
    plan.number = _next_number(organization, plan.exam_date.year)
    save_tracked(plan, actor=actor)
    plan_event(
        actor, plan, EventType.PLAN_CREATED, {"number": plan.number, "level": level, "exam_date": plan.exam_date}
    )
    return plan


@transaction.atomic
def plan_update(*, actor: User, plan: AssessmentPlan, **changes) -> AssessmentPlan:
    plan = lock_plan(plan)
    require_action(Act.EDIT, plan=plan, actor=actor)
    changes = _clean_fields({k: v for k, v in changes.items() if k in PLAN_FIELDS})
    before = {f: getattr(plan, f) for f in PLAN_FIELDS}
    for key, value in changes.items():
        setattr(plan, key, value)
    _check_dates(plan)
    changed = diff(before, {f: getattr(plan, f) for f in PLAN_FIELDS})
    if not changed:
        raise ValidationError(_("没有需要保存的修改"))
    if "exam_date" in changed:
        filing_gate(plan, plan.exam_date, _("修改考核日期"))
    direct = active_enrolments(plan).filter(route=Enrolment.Route.DIRECT)
    if "allow_direct_grading" in changed and not plan.allow_direct_grading and direct.exists():
        raise ValidationError({"allow_direct_grading": _("已有定级申报的考生，请先撤回其报名再取消接受定级")})
    save_tracked(plan, actor=actor)
    reassessed = _reassess_eligibility(plan, actor) if "exam_date" in changed else []
    plan_event(actor, plan, EventType.PLAN_UPDATED, {"changes": changed, "eligibility_reassessed": reassessed})
    return plan


def _reassess_eligibility(plan: AssessmentPlan, actor: User) -> list[dict]:
    """Eligibility is judged on the exam date: a new date judges every 晋级 candidate again."""
    rules = ruleset_from_data(plan.standard_level.eligibility_rules or [])
    changed = []
    for enrolment in (
        active_enrolments(plan).filter(route=Enrolment.Route.PROMOTION).prefetch_related("prior_certificates")
    ):
        result = evaluate(facts=facts_of(plan, enrolment), rules=rules)
        if result.eligible != enrolment.eligible:
            changed.append({"enrolment": enrolment.pk, "eligible": [enrolment.eligible, result.eligible]})
        enrolment.eligible = result.eligible
        enrolment.eligibility = {**result.to_dict(), "summary": result.summary()}
        save_tracked(
            enrolment, actor=actor, reason=_("考核日期变更，重新审查申报条件"), fields=["eligible", "eligibility"]
        )
    return changed


# --- the steps ------------------------------------------------------------------------------
@transaction.atomic
def plan_file(*, actor: User, plan: AssessmentPlan, today: dt.date | None = None) -> AssessmentPlan:
    """Draft → filed with the bureau. Every rule is checked; all unmet ones are listed."""
    plan = lock_plan(plan)
    today = today or timezone.localdate()
    require_action(Act.FILE, plan=plan, actor=actor, today=today)
    coverage = plan_coverage(plan, plan.exam_date)
    plan.status, plan.filed_at, plan.filed_by, plan.filing = S.FILED, timezone.now(), actor, coverage.filing
    plan.filed_lead_days = calendar.working_days_between(today, plan.exam_date)
    save_tracked(plan, actor=actor)
    plan_event(
        actor,
        plan,
        EventType.PLAN_FILED,
        {
            "filing": coverage.filing.number,
            "exam_date": plan.exam_date,
            "lead_working_days": plan.filed_lead_days,
            "candidates": active_enrolments(plan).count(),
        },
    )
    return plan


@transaction.atomic
def plan_start(*, actor: User, plan: AssessmentPlan, today: dt.date | None = None) -> AssessmentPlan:
    plan = lock_plan(plan)
    require_action(Act.START, plan=plan, actor=actor, today=today)
    return _advance(actor, plan, S.IN_PROGRESS, EventType.PLAN_STARTED, started_at=timezone.now())


@transaction.atomic
def plan_begin_scoring(*, actor: User, plan: AssessmentPlan) -> AssessmentPlan:
    plan = lock_plan(plan)
    require_action(Act.SCORING, plan=plan, actor=actor)
    return _advance(actor, plan, S.SCORING, EventType.PLAN_SCORING_STARTED, scoring_at=timezone.now())


@transaction.atomic
def plan_approve_results(*, actor: User, plan: AssessmentPlan) -> AssessmentPlan:
    """A reviewer approves the computed results; never someone who entered scores in the plan."""
    plan = lock_plan(plan)
    require_action(Act.APPROVE, plan=plan, actor=actor)
    plan.status, plan.approved_at, plan.approved_by = S.RESULTS_APPROVED, timezone.now(), actor
    save_tracked(plan, actor=actor)
    outcomes = dict.fromkeys(Result.Outcome.values, 0)
    for outcome in Result.objects.filter(plan=plan, enrolment__status=Enrolment.Status.REGISTERED).values_list(
        "outcome", flat=True
    ):
        outcomes[outcome] += 1
    plan_event(actor, plan, EventType.PLAN_RESULTS_APPROVED, {"outcomes": outcomes})
    return plan


@transaction.atomic
def plan_start_publicity(*, actor: User, plan: AssessmentPlan, today: dt.date | None = None) -> AssessmentPlan:
    """Publish the approved results: the publicity ends N working days later (holidays and 调休
    counted with the official calendar)."""
    plan = lock_plan(plan)
    today = today or timezone.localdate()
    require_action(Act.PUBLICITY, plan=plan, actor=actor, today=today)
    days = int(conf("PUBLICITY_WORKING_DAYS"))
    deadline = results_deadline(plan)
    plan.status, plan.publicity_start = S.PUBLICITY, today
    plan.publicity_end = calendar.add_working_days(today, days)
    save_tracked(plan, actor=actor)
    late = calendar.working_days_between(deadline, today) if today > deadline else 0
    plan_event(
        actor,
        plan,
        EventType.PLAN_PUBLICITY_STARTED,
        {
            "start": plan.publicity_start,
            "end": plan.publicity_end,
            "working_days": days,
            "deadline": deadline,
            "late_working_days": late,
        },
    )
    return plan


def results_deadline(plan: AssessmentPlan) -> dt.date:
    """The last day to publish results: N working days after the exam ends (domain.md §4)."""
    return calendar.add_working_days(plan.exam_end_date or plan.exam_date, int(conf("RESULTS_PUBLICITY_WORKING_DAYS")))


@transaction.atomic
def plan_close(*, actor: User, plan: AssessmentPlan, today: dt.date | None = None) -> AssessmentPlan:
    plan = lock_plan(plan)
    require_action(Act.CLOSE, plan=plan, actor=actor, today=today)
    return _advance(actor, plan, S.CLOSED, EventType.PLAN_CLOSED, closed_at=timezone.now())


@transaction.atomic
def plan_cancel(*, actor: User, plan: AssessmentPlan, reason: str) -> AssessmentPlan:
    plan = lock_plan(plan)
    require_action(Act.CANCEL, plan=plan, actor=actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("取消评价计划须填写原因")})
    old = plan.status
    plan.status, plan.cancelled_at, plan.cancel_reason = S.CANCELLED, timezone.now(), reason
    save_tracked(plan, actor=actor, reason=reason)
    for assessor in plan.assessors.select_related("user"):
        remove_perm("certify.score_plan", assessor.user, plan)
    plan_event(actor, plan, EventType.PLAN_CANCELLED, {"changes": {"status": [old, S.CANCELLED]}}, reason=reason)
    return plan
