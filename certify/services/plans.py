"""Assessment plans (评价计划): draft → filed → in progress → scoring → results approved →
publicity → closed, or cancelled. Every transition is one service with its rules, each refused
with a Chinese message when unmet; ``plan_checklist`` shows the same rules to the clerk first."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import Membership, Organization, User
from accounts.permissions import require
from accounts.roles import BureauRole, Role
from audit.events import EventType
from audit.services import audit_append
from certify.conf import conf
from certify.models import AssessmentPlan, Enrolment, PlanAssessor, RecusalRelation, StandardVersion, SupervisionReport
from certify.permissions import (
    can_approve_results,
    can_assign_supervisors,
    can_manage_plans,
    is_plan_supervisor,
)
from certify.services import calendar
from certify.services.filings import filing_coverage
from lib.chain import diff

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


@dataclass(frozen=True)
class Check:
    ok: bool
    text: str


def _track(obj, actor, reason: str = "") -> None:
    obj._history_user = actor
    obj._change_reason = reason or None


def _locked(plan: AssessmentPlan) -> AssessmentPlan:
    # Only the plan row: PostgreSQL refuses FOR UPDATE across the outer join of the optional 工种.
    return (
        AssessmentPlan.objects.select_for_update(of=("self",))
        .select_related("organization", "standard_level", "standard_version", "occupation", "work_type")
        .get(pk=plan.pk)
    )


def _require_status(plan: AssessmentPlan, *allowed: str, doing: str) -> None:
    if plan.status not in allowed:
        raise ValidationError(
            _("评价计划当前为「%(status)s」，不能%(doing)s。") % {"status": plan.get_status_display(), "doing": doing}
        )


def _event(actor, plan: AssessmentPlan, event_type: EventType, data: dict | None = None, reason: str = ""):
    audit_append(
        actor=actor, event_type=event_type, target=plan, organization=plan.organization, data=data or {}, reason=reason
    )


def _advance(actor, plan: AssessmentPlan, status: str, event_type: EventType, data: dict | None = None, **stamps):
    """One step of the lifecycle: the new status and its timestamps, saved, and its one event."""
    plan.status = status
    for field, value in stamps.items():
        setattr(plan, field, value)
    _track(plan, actor)
    plan.save()
    _event(actor, plan, event_type, data)
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
    plan.number = _next_number(organization, plan.exam_date.year)
    _check_dates(plan)
    _track(plan, actor)
    plan.save()
    _event(actor, plan, EventType.PLAN_CREATED, {"number": plan.number, "level": level, "exam_date": plan.exam_date})
    return plan


@transaction.atomic
def plan_update(*, actor: User, plan: AssessmentPlan, **changes) -> AssessmentPlan:
    plan = _locked(plan)
    require(can_manage_plans(actor, plan.organization), _("您没有管理本机构评价计划的权限"))
    _require_status(plan, S.DRAFT, doing=_("修改（报备后计划内容不能再改）"))
    changes = _clean_fields({k: v for k, v in changes.items() if k in PLAN_FIELDS})
    before = {f: getattr(plan, f) for f in PLAN_FIELDS}
    for key, value in changes.items():
        setattr(plan, key, value)
    _check_dates(plan)
    changed = diff(before, {f: getattr(plan, f) for f in PLAN_FIELDS})
    if not changed:
        raise ValidationError(_("没有需要保存的修改"))
    direct = _active_enrolments(plan).filter(route=Enrolment.Route.DIRECT)
    if "allow_direct_grading" in changed and not plan.allow_direct_grading and direct.exists():
        raise ValidationError({"allow_direct_grading": _("已有定级申报的考生，请先撤回其报名再取消接受定级")})
    _track(plan, actor)
    plan.save()
    reassessed = _reassess_eligibility(plan, actor) if "exam_date" in changed else []
    _event(actor, plan, EventType.PLAN_UPDATED, {"changes": changed, "eligibility_reassessed": reassessed})
    return plan


def _reassess_eligibility(plan: AssessmentPlan, actor: User) -> list[dict]:
    """Eligibility is judged on the exam date: a new date judges every 晋级 candidate again."""
    from certify.services.enrolments import facts_of
    from lib.eligibility import evaluate, ruleset_from_data

    rules = ruleset_from_data(plan.standard_level.eligibility_rules or [])
    changed = []
    for enrolment in (
        _active_enrolments(plan).filter(route=Enrolment.Route.PROMOTION).prefetch_related("prior_certificates")
    ):
        result = evaluate(facts=facts_of(plan, enrolment), rules=rules)
        if result.eligible != enrolment.eligible:
            changed.append({"enrolment": enrolment.pk, "eligible": [enrolment.eligible, result.eligible]})
        enrolment.eligible = result.eligible
        enrolment.eligibility = {**result.to_dict(), "summary": result.summary()}
        _track(enrolment, actor, _("考核日期变更，重新审查申报条件"))
        enrolment.save(update_fields=["eligible", "eligibility"])
    return changed


# --- panel ----------------------------------------------------------------------------------
@transaction.atomic
def assessor_add(
    *, actor: User, plan: AssessmentPlan, user: User, duty: str, grade: str, qualification_no: str = ""
) -> PlanAssessor:
    plan = _locked(plan)
    require(can_manage_plans(actor, plan.organization), _("您没有管理本机构评价计划的权限"))
    _require_status(plan, S.DRAFT, doing=_("调整考评人员"))
    if duty not in PlanAssessor.Duty.values:
        raise ValidationError({"duty": _("未知的职责")})
    if grade not in PlanAssessor.Grade.values:
        raise ValidationError({"grade": _("未知的考评资格")})
    if not Membership.objects.filter(user=user, organization=plan.organization, role=Role.ASSESSOR).exists():
        raise ValidationError({"user": _("只能指派本机构角色为「考评员」的成员")})
    if PlanAssessor.objects.filter(plan=plan, user=user, duty=duty).exists():
        raise ValidationError({"user": _("该考评人员已承担此项职责")})
    assessor = PlanAssessor(
        plan=plan, user=user, duty=duty, grade=grade, qualification_no=(qualification_no or "").strip()
    )
    _track(assessor, actor)
    assessor.save()
    assign_perm("certify.score_plan", user, plan)
    _event(
        actor,
        plan,
        EventType.PLAN_ASSESSOR_ADDED,
        {"user": user.username, "name": user.get_full_name(), "duty": duty, "grade": grade},
    )
    return assessor


@transaction.atomic
def assessor_remove(*, actor: User, assessor: PlanAssessor) -> None:
    plan = _locked(assessor.plan)
    require(can_manage_plans(actor, plan.organization), _("您没有管理本机构评价计划的权限"))
    _require_status(plan, S.DRAFT, doing=_("调整考评人员"))
    assessor = PlanAssessor.objects.select_related("user").get(pk=assessor.pk, plan=plan)
    user, duty = assessor.user, assessor.duty
    for relation in assessor.relations.all():
        _track(relation, actor)
        relation.delete()
    _track(assessor, actor)
    assessor.delete()
    if not PlanAssessor.objects.filter(plan=plan, user=user).exists():
        remove_perm("certify.score_plan", user, plan)
    _event(actor, plan, EventType.PLAN_ASSESSOR_REMOVED, {"user": user.username, "duty": duty})


@transaction.atomic
def recusal_declare(
    *, actor: User, assessor: PlanAssessor, relations: list[tuple[Enrolment, str, str]], statement: str = ""
) -> PlanAssessor:
    """The assessor declares, for themselves, every candidate they are related to (or none)."""
    plan = _locked(assessor.plan)
    assessor = PlanAssessor.objects.select_related("user").get(pk=assessor.pk, plan=plan)
    if assessor.user_id != actor.pk:
        raise ValidationError(_("回避声明须由考评人员本人提交"))
    _require_status(plan, S.DRAFT, doing=_("提交回避声明（报备后名单已锁定）"))
    for old in assessor.relations.all():
        _track(old, actor)
        old.delete()
    declared = []
    seen = set()
    for enrolment, relation, note in relations:
        if enrolment.plan_id != plan.pk or enrolment.status != Enrolment.Status.REGISTERED:
            raise ValidationError(_("所选考生不在本计划的有效考生名单中"))
        if enrolment.pk in seen:
            continue
        seen.add(enrolment.pk)
        if relation not in RecusalRelation.Relation.values:
            raise ValidationError(_("未知的关系类型"))
        row = RecusalRelation(assessor=assessor, enrolment=enrolment, relation=relation, note=(note or "").strip())
        _track(row, actor)
        row.save()
        declared.append({"enrolment": enrolment.pk, "name": enrolment.person.name, "relation": relation})
    assessor.declared_at = timezone.now()
    assessor.declaration = (statement or "").strip() or (
        _("本人与本计划以下考生存在需回避的关系，不参与其评分。")
        if declared
        else _("本人与本计划全体考生均无需回避的关系。")
    )
    _track(assessor, actor)
    assessor.save()
    _event(
        actor, plan, EventType.RECUSAL_DECLARED, {"assessor": assessor.pk, "duty": assessor.duty, "relations": declared}
    )
    return assessor


def roster_changed(plan: AssessmentPlan, actor: User) -> int:
    """A new or withdrawn candidate voids earlier declarations: each assessor declares again."""
    count = 0
    for assessor in PlanAssessor.objects.filter(plan=plan, declared_at__isnull=False):
        assessor.declared_at = None
        _track(assessor, actor, _("考生名单变化，须重新声明"))
        assessor.save(update_fields=["declared_at"])
        count += 1
    return count


# --- the rules of each step -----------------------------------------------------------------
def _active_enrolments(plan: AssessmentPlan):
    return Enrolment.objects.filter(plan=plan, status=Enrolment.Status.REGISTERED)


def panel_checks(plan: AssessmentPlan, candidates: int) -> list[Check]:
    cfg = plan.standard_level
    by_duty: dict[str, list[PlanAssessor]] = {d: [] for d in PlanAssessor.Duty.values}
    for assessor in plan.assessors.select_related("user"):
        by_duty[assessor.duty].append(assessor)
    checks = []
    if cfg.has_practical:
        panel = by_duty[PlanAssessor.Duty.PRACTICAL]
        need = max(cfg.min_practical_assessors, math.ceil(candidates / cfg.candidates_per_assessor))
        checks.append(
            Check(
                len(panel) >= need,
                _("操作技能考评员不少于 %(need)d 人（%(n)d 名考生，每名考评员不超过 %(r)d 人），现有 %(have)d 人")
                % {"need": need, "n": candidates, "r": cfg.candidates_per_assessor, "have": len(panel)},
            )
        )
        if cfg.require_odd_panel:
            checks.append(
                Check(len(panel) % 2 == 1, _("操作技能考评组人数须为奇数，现有 %(have)d 人") % {"have": len(panel)})
            )
    if cfg.has_theory:
        panel = by_duty[PlanAssessor.Duty.THEORY]
        need = max(
            math.ceil(candidates / cfg.candidates_per_invigilator), cfg.min_invigilators_per_room * plan.theory_rooms
        )
        checks.append(
            Check(
                len(panel) >= need,
                _("理论考试监考人员不少于 %(need)d 人（%(rooms)d 个考场、%(n)d 名考生），现有 %(have)d 人")
                % {"need": need, "rooms": plan.theory_rooms, "n": candidates, "have": len(panel)},
            )
        )
    if cfg.has_review:
        panel = by_duty[PlanAssessor.Duty.REVIEW]
        checks.append(
            Check(
                len(panel) >= cfg.min_review_panel,
                _("综合评审组不少于 %(need)d 人，现有 %(have)d 人")
                % {"need": cfg.min_review_panel, "have": len(panel)},
            )
        )
        if cfg.require_odd_panel:
            checks.append(
                Check(len(panel) % 2 == 1, _("综合评审组人数须为奇数，现有 %(have)d 人") % {"have": len(panel)})
            )
    if cfg.senior_assessors_required:
        juniors = [
            a.user.get_full_name()
            for a in by_duty[PlanAssessor.Duty.PRACTICAL] + by_duty[PlanAssessor.Duty.REVIEW]
            if a.grade != PlanAssessor.Grade.SENIOR
        ]
        checks.append(
            Check(
                not juniors,
                _("%(level)s须由高级考评员评价") % {"level": plan.level_wording}
                + (_("：%(names)s 不是高级考评员") % {"names": "、".join(juniors)} if juniors else ""),
            )
        )
    undeclared = sorted({a.user.get_full_name() for duty in by_duty.values() for a in duty if a.declared_at is None})
    checks.append(
        Check(
            not undeclared,
            _("每名考评人员已提交回避声明")
            + (_("（尚未提交：%(names)s）") % {"names": "、".join(undeclared)} if undeclared else ""),
        )
    )
    return checks


def filing_checks(plan: AssessmentPlan, today: dt.date) -> list[Check]:
    coverage = filing_coverage(
        organization=plan.organization,
        occupation=plan.occupation,
        work_type=plan.work_type,
        level=plan.level,
        on=plan.exam_date,
    )
    lead = int(conf("PLAN_LEAD_WORKING_DAYS"))
    earliest = calendar.add_working_days(today, lead)
    enrolments = list(_active_enrolments(plan))
    not_admitted = [e.person.name for e in enrolments if not e.admitted]
    checks = [
        Check(
            coverage.ok,
            coverage.message
            or _("备案 %(n)s 覆盖%(subject)s%(level)s（考核日期 %(d)s）")
            % {"n": coverage.filing.number, "subject": plan.subject, "level": plan.level_wording, "d": plan.exam_date},
        ),
        Check(
            plan.standard_version.status == StandardVersion.Status.PUBLISHED,
            _("依据已发布的评价规范：%(t)s（第 %(v)s 版）")
            % {"t": plan.standard_version.title, "v": plan.standard_version.version},
        ),
        Check(
            plan.exam_date >= earliest,
            _("考核日期至少在报备之日起 %(n)d 个工作日之后（最早 %(d)s）") % {"n": lead, "d": earliest.isoformat()},
        ),
        Check(bool(enrolments), _("已登记考生（现有 %(n)d 名）") % {"n": len(enrolments)}),
        Check(
            not not_admitted,
            _("全部考生符合申报条件或定级申报已获批准")
            + (_("（未通过：%(names)s）") % {"names": "、".join(not_admitted[:10])} if not_admitted else ""),
        ),
    ]
    return checks + panel_checks(plan, len(enrolments))


def _raise_unmet(checks: list[Check], heading: str) -> None:
    unmet = [c.text for c in checks if not c.ok]
    if unmet:
        raise ValidationError([heading, *unmet])


@transaction.atomic
def plan_file(*, actor: User, plan: AssessmentPlan, today: dt.date | None = None) -> AssessmentPlan:
    """Draft → filed with the bureau. Every rule is checked; all unmet ones are listed."""
    plan = _locked(plan)
    require(can_manage_plans(actor, plan.organization), _("您没有管理本机构评价计划的权限"))
    _require_status(plan, S.DRAFT, doing=_("报备"))
    today = today or timezone.localdate()
    _raise_unmet(filing_checks(plan, today), _("评价计划暂不能报备："))
    coverage = filing_coverage(
        organization=plan.organization,
        occupation=plan.occupation,
        work_type=plan.work_type,
        level=plan.level,
        on=plan.exam_date,
    )
    plan.status, plan.filed_at, plan.filed_by, plan.filing = S.FILED, timezone.now(), actor, coverage.filing
    plan.filed_lead_days = calendar.working_days_between(today, plan.exam_date)
    _track(plan, actor)
    plan.save()
    _event(
        actor,
        plan,
        EventType.PLAN_FILED,
        {
            "filing": coverage.filing.number,
            "exam_date": plan.exam_date,
            "lead_working_days": plan.filed_lead_days,
            "candidates": _active_enrolments(plan).count(),
        },
    )
    return plan


@transaction.atomic
def plan_start(*, actor: User, plan: AssessmentPlan, today: dt.date | None = None) -> AssessmentPlan:
    plan = _locked(plan)
    require(can_manage_plans(actor, plan.organization), _("您没有管理本机构评价计划的权限"))
    _require_status(plan, S.FILED, doing=_("开始考核"))
    today = today or timezone.localdate()
    if today < plan.exam_date:
        raise ValidationError(_("考核日期为 %(d)s，当天起才能开始考核") % {"d": plan.exam_date.isoformat()})
    coverage = filing_coverage(
        organization=plan.organization, occupation=plan.occupation, work_type=plan.work_type, level=plan.level, on=today
    )
    if not coverage.ok:
        raise ValidationError(coverage.message)
    return _advance(actor, plan, S.IN_PROGRESS, EventType.PLAN_STARTED, started_at=timezone.now())


@transaction.atomic
def plan_begin_scoring(*, actor: User, plan: AssessmentPlan) -> AssessmentPlan:
    plan = _locked(plan)
    require(can_manage_plans(actor, plan.organization), _("您没有管理本机构评价计划的权限"))
    _require_status(plan, S.IN_PROGRESS, doing=_("开始评分"))
    return _advance(actor, plan, S.SCORING, EventType.PLAN_SCORING_STARTED, scoring_at=timezone.now())


def approval_checks(plan: AssessmentPlan, reviewer: User | None = None) -> list[Check]:
    from certify.models import Result, Score

    enrolments = _active_enrolments(plan)
    results = Result.objects.filter(plan=plan, enrolment__in=enrolments)
    incomplete = enrolments.count() - results.exclude(outcome=Result.Outcome.INCOMPLETE).count()
    checks = [Check(incomplete == 0, _("全部考生成绩齐全（尚缺 %(n)d 人）") % {"n": incomplete})]
    if reviewer is not None:
        scored = Score.objects.filter(plan=plan, assessor=reviewer).exists()
        checks.append(Check(not scored, _("审核人未参与本计划评分（录入过成绩的人不能审核）")))
    return checks


@transaction.atomic
def plan_approve_results(*, actor: User, plan: AssessmentPlan) -> AssessmentPlan:
    """A reviewer approves the computed results; never someone who entered scores in the plan."""
    plan = _locked(plan)
    require(can_approve_results(actor, plan.organization), _("只有审核人可以审核评价结果"))
    _require_status(plan, S.SCORING, doing=_("审核结果"))
    _raise_unmet(approval_checks(plan, actor), _("评价结果暂不能审核："))
    from certify.models import Result

    plan.status, plan.approved_at, plan.approved_by = S.RESULTS_APPROVED, timezone.now(), actor
    _track(plan, actor)
    plan.save()
    outcomes = dict.fromkeys(Result.Outcome.values, 0)
    for outcome in Result.objects.filter(plan=plan, enrolment__status=Enrolment.Status.REGISTERED).values_list(
        "outcome", flat=True
    ):
        outcomes[outcome] += 1
    _event(actor, plan, EventType.PLAN_RESULTS_APPROVED, {"outcomes": outcomes})
    return plan


@transaction.atomic
def plan_start_publicity(*, actor: User, plan: AssessmentPlan, today: dt.date | None = None) -> AssessmentPlan:
    """Publish the approved results: the publicity ends N working days later (holidays and 调休
    counted with the official calendar)."""
    plan = _locked(plan)
    require(can_manage_plans(actor, plan.organization), _("您没有管理本机构评价计划的权限"))
    _require_status(plan, S.RESULTS_APPROVED, doing=_("发布公示"))
    today = today or timezone.localdate()
    if today < plan.exam_date:
        raise ValidationError(_("公示不能早于考核日期（%(d)s）开始") % {"d": plan.exam_date.isoformat()})
    days = int(conf("PUBLICITY_WORKING_DAYS"))
    plan.status, plan.publicity_start = S.PUBLICITY, today
    plan.publicity_end = calendar.add_working_days(today, days)
    _track(plan, actor)
    plan.save()
    _event(
        actor,
        plan,
        EventType.PLAN_PUBLICITY_STARTED,
        {"start": plan.publicity_start, "end": plan.publicity_end, "working_days": days},
    )
    return plan


def close_checks(plan: AssessmentPlan, today: dt.date) -> list[Check]:
    from certify.models import Objection

    open_objections = Objection.objects.filter(plan=plan, status=Objection.Status.OPEN).count()
    ended = plan.publicity_end is not None and today > plan.publicity_end
    return [
        Check(
            ended,
            _("公示期已届满（截止 %(d)s）") % {"d": plan.publicity_end.isoformat() if plan.publicity_end else "—"},
        ),
        Check(open_objections == 0, _("没有待处理的异议（现有 %(n)d 件）") % {"n": open_objections}),
    ]


@transaction.atomic
def plan_close(*, actor: User, plan: AssessmentPlan, today: dt.date | None = None) -> AssessmentPlan:
    plan = _locked(plan)
    require(can_manage_plans(actor, plan.organization), _("您没有管理本机构评价计划的权限"))
    _require_status(plan, S.PUBLICITY, doing=_("结束"))
    _raise_unmet(close_checks(plan, today or timezone.localdate()), _("评价计划暂不能结束："))
    return _advance(actor, plan, S.CLOSED, EventType.PLAN_CLOSED, closed_at=timezone.now())


@transaction.atomic
def plan_cancel(*, actor: User, plan: AssessmentPlan, reason: str) -> AssessmentPlan:
    plan = _locked(plan)
    require(can_manage_plans(actor, plan.organization), _("您没有管理本机构评价计划的权限"))
    _require_status(plan, S.DRAFT, S.FILED, S.IN_PROGRESS, S.SCORING, doing=_("取消（已审核结果的计划不能取消）"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("取消评价计划须填写原因")})
    old = plan.status
    plan.status, plan.cancelled_at, plan.cancel_reason = S.CANCELLED, timezone.now(), reason
    _track(plan, actor, reason)
    plan.save()
    for assessor in plan.assessors.select_related("user"):
        remove_perm("certify.score_plan", assessor.user, plan)
    _event(actor, plan, EventType.PLAN_CANCELLED, {"changes": {"status": [old, S.CANCELLED]}}, reason=reason)
    return plan


# --- bureau oversight ----------------------------------------------------------------------
@transaction.atomic
def plan_assign_supervisor(*, actor: User, plan: AssessmentPlan, supervisor: User) -> AssessmentPlan:
    require(can_assign_supervisors(actor), _("只有人社局管理员可以指派质量督导员"))
    plan = _locked(plan)
    _require_status(plan, S.FILED, S.IN_PROGRESS, S.SCORING, doing=_("指派督导员"))
    if not supervisor.groups.filter(name=BureauRole.SUPERVISOR).exists():
        raise ValidationError({"supervisor": _("所选人员不是质量督导员")})
    old = plan.supervisor.username if plan.supervisor_id else None
    plan.supervisor = supervisor
    _track(plan, actor)
    plan.save(update_fields=["supervisor"])
    _event(
        actor,
        plan,
        EventType.PLAN_SUPERVISOR_ASSIGNED,
        {"changes": {"supervisor": [old, supervisor.username]}, "name": supervisor.get_full_name()},
    )
    return plan


@transaction.atomic
def supervision_report_submit(
    *,
    actor: User,
    plan: AssessmentPlan,
    visited_on: dt.date,
    attended: bool,
    attendance: str,
    observations: str,
    problems: str = "",
) -> SupervisionReport:
    plan = _locked(plan)
    require(is_plan_supervisor(actor, plan), _("只有被指派的质量督导员可以提交督导报告"))
    _require_status(plan, S.FILED, S.IN_PROGRESS, S.SCORING, S.RESULTS_APPROVED, S.PUBLICITY, doing=_("提交督导报告"))
    if not (observations or "").strip():
        raise ValidationError({"observations": _("请填写督导情况")})
    report = SupervisionReport(
        plan=plan,
        supervisor=actor,
        visited_on=visited_on,
        attended=attended,
        attendance=(attendance or "").strip(),
        observations=observations.strip(),
        problems=(problems or "").strip(),
    )
    _track(report, actor)
    report.save()
    _event(
        actor,
        plan,
        EventType.SUPERVISION_REPORTED,
        {"visited_on": visited_on, "attended": attended, "problems_found": bool(report.problems)},
    )
    return report


# --- what the plan page shows ---------------------------------------------------------------
STEPS = [
    (S.DRAFT, gettext_lazy("草稿")),
    (S.FILED, gettext_lazy("已报备")),
    (S.IN_PROGRESS, gettext_lazy("考核中")),
    (S.SCORING, gettext_lazy("评分")),
    (S.RESULTS_APPROVED, gettext_lazy("结果审核")),
    (S.PUBLICITY, gettext_lazy("公示")),
    (S.CLOSED, gettext_lazy("已结束")),
    ("issued", gettext_lazy("已发证")),
]


def plan_steps(plan: AssessmentPlan, *, issued: bool = False) -> list[dict]:
    order = [s for s, _label in STEPS]
    current = "issued" if issued else plan.status
    index = order.index(current) if current in order else -1
    return [
        {
            "label": label,
            "state": "cancelled"
            if plan.status == S.CANCELLED and i == 0
            else ("done" if i < index else ("current" if i == index else "todo")),
        }
        for i, (_status, label) in enumerate(STEPS)
    ]


def plan_checklist(plan: AssessmentPlan, *, user: User | None = None, today: dt.date | None = None) -> list[Check]:
    """What the next step needs, met or not, for the plan page."""
    today = today or timezone.localdate()
    if plan.status == S.DRAFT:
        return filing_checks(plan, today)
    if plan.status == S.FILED:
        return [Check(today >= plan.exam_date, _("考核日期 %(d)s 已到") % {"d": plan.exam_date.isoformat()})]
    if plan.status == S.SCORING:
        return approval_checks(
            plan, user if user is not None and can_approve_results(user, plan.organization) else None
        )
    if plan.status == S.PUBLICITY:
        return close_checks(plan, today)
    return []
