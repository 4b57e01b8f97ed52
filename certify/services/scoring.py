"""Scores and results. A submitted score is final; a correction is a new record with a reason that
points at the one it replaces. Results are recomputed from the current scores by the standard."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.events import EventType
from audit.history import save_tracked
from audit.services import audit_append
from certify.actions import Act, require_action
from certify.models import AssessmentPlan, Enrolment, Objection, PlanAssessor, RecusalRelation, Result, Score
from certify.services.plan_base import lock_plan
from lib.halfwidth import normalize_number

TENTH = Decimal("0.1")
DUTY_FOR = {
    Score.Component.THEORY: PlanAssessor.Duty.THEORY,
    Score.Component.PRACTICAL: PlanAssessor.Duty.PRACTICAL,
    Score.Component.REVIEW: PlanAssessor.Duty.REVIEW,
}
S = AssessmentPlan.Status


def parse_score(value) -> Decimal:
    """0–100 with at most one decimal place, or a Chinese ValidationError. Full-width digits and
    the Chinese decimal point (７６．５, 76。5) are read as typed by an input method."""
    try:
        number = Decimal(normalize_number(value))
    except (InvalidOperation, AttributeError) as exc:
        raise ValidationError({"value": _("成绩应为 0–100 的数字")}) from exc
    if not number.is_finite() or not Decimal("0") <= number <= Decimal("100"):
        raise ValidationError({"value": _("成绩应在 0–100 之间")})
    if number != number.quantize(TENTH):
        raise ValidationError({"value": _("成绩最多保留 1 位小数")})
    return number.quantize(TENTH)


def _mean(values: list[Decimal]) -> Decimal:
    return (sum(values) / len(values)).quantize(TENTH, rounding=ROUND_HALF_UP)


# --- who may score what -----------------------------------------------------------------------
def check_can_score(actor: User, plan: AssessmentPlan, enrolment: Enrolment, component: str, subscore: str):
    """What the actor may score in a plan they may score in (``Act.SCORE``, asked first): their
    duty's components, of admitted candidates they have not declared a relation with."""
    cfg = plan.standard_level
    if component not in Score.Component.values or component not in cfg.components():
        raise ValidationError({"component": _("本计划的评价规范不含该考核项目")})
    duty = PlanAssessor.objects.filter(plan=plan, user=actor, duty=DUTY_FOR[component]).first()
    if duty is None:
        raise ValidationError(
            {"component": _("您在本计划中不承担「%(c)s」评分") % {"c": Score.Component(component).label}}
        )
    if enrolment.plan_id != plan.pk or enrolment.status != Enrolment.Status.REGISTERED or not enrolment.admitted:
        raise ValidationError(_("该考生不在本计划的有效考生名单中"))
    if RecusalRelation.objects.filter(assessor__plan=plan, assessor__user=actor, enrolment=enrolment).exists():
        raise ValidationError(_("您已声明与该考生存在回避关系，不能为其评分"))
    names = [s["name"] for s in cfg.review_subscores or []] if component == Score.Component.REVIEW else []
    if names and subscore not in names:
        raise ValidationError({"subscore": _("请选择评审分项：%(names)s") % {"names": "、".join(names)}})
    if not names and subscore:
        raise ValidationError({"subscore": _("该考核项目没有分项")})


def _current(enrolment: Enrolment):
    return Score.objects.filter(enrolment=enrolment, replaced_by__isnull=True)


def _score_row(
    *, actor, plan, enrolment, component, subscore, outcome, value, source, replaces=None, reason="", objection=None
):
    if outcome not in Score.Outcome.values:
        raise ValidationError({"outcome": _("未知的成绩情况")})
    if outcome != Score.Outcome.SCORED and value not in (None, ""):
        raise ValidationError({"value": _("缺考或违纪时不填写成绩")})
    value = parse_score(value) if outcome == Score.Outcome.SCORED else None
    score = Score(
        organization=plan.organization,
        plan=plan,
        enrolment=enrolment,
        component=component,
        subscore=subscore or "",
        assessor=actor,
        outcome=outcome,
        value=value,
        source=source,
        replaces=replaces,
        reason=reason,
        objection=objection,
    )
    save_tracked(score, actor=actor, reason=reason)
    return score


def _describe(score: Score) -> dict:
    return {
        "enrolment": score.enrolment_id,
        "name": score.enrolment.person.name,
        "component": score.component,
        "subscore": score.subscore,
        "outcome": score.outcome,
        "value": score.value,
    }


@transaction.atomic
def score_submit(
    *,
    actor: User,
    enrolment: Enrolment,
    component: str,
    value=None,
    outcome: str = Score.Outcome.SCORED,
    subscore: str = "",
    source: str = Score.Source.FORM,
) -> Score:
    plan = lock_plan(enrolment.plan)
    enrolment = Enrolment.objects.select_related("person").get(pk=enrolment.pk)
    require_action(Act.SCORE, plan=plan, actor=actor)
    check_can_score(actor, plan, enrolment, component, subscore)
    if _current(enrolment).filter(assessor=actor, component=component, subscore=subscore or "").exists():
        raise ValidationError(_("您已提交过该项成绩；成绩提交后不能修改，如有错误请提交更正并说明原因"))
    score = _score_row(
        actor=actor,
        plan=plan,
        enrolment=enrolment,
        component=component,
        subscore=subscore,
        outcome=outcome,
        value=value,
        source=source,
    )
    result_refresh(enrolment=enrolment, plan=plan, actor=actor)
    audit_append(
        actor=actor,
        event_type=EventType.SCORE_SUBMITTED,
        target=score,
        organization=plan.organization,
        data=_describe(score),
    )
    return score


@transaction.atomic
def score_correct(
    *,
    actor: User,
    score: Score,
    value=None,
    outcome: str = Score.Outcome.SCORED,
    reason: str,
    objection: Objection | None = None,
) -> Score:
    """A new record replacing ``score``. Before approval: the assessor, with a reason. After
    approval: only to carry out an objection raised in the publicity."""
    plan = lock_plan(score.plan)
    score = Score.objects.select_related("enrolment__person").get(pk=score.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("更正成绩须写明原因")})
    if score.assessor_id != actor.pk:
        raise ValidationError(_("只能由原评分的考评员更正自己的成绩"))
    if Score.objects.filter(replaces=score).exists():
        raise ValidationError(_("该成绩已被更正过，请在最新的记录上更正"))
    require_action(Act.CORRECT_SCORE, plan=plan, actor=actor)
    if objection is not None:
        # The stored row of this plan, not the caller's copy, which may predate its resolution;
        # a correction citing another plan's objection would let that one be upheld uncorrected.
        objection = Objection.objects.select_for_update(of=("self",)).filter(pk=objection.pk, plan=plan).first()
        if objection is None or objection.status != Objection.Status.OPEN:
            raise ValidationError(_("所依据的异议不是本计划待处理的异议，不能据此更正成绩"))
        if objection.enrolment_id and objection.enrolment_id != score.enrolment_id:
            raise ValidationError(_("所依据的异议针对其他考生，不能据此更正本成绩"))
    elif plan.status != S.SCORING:
        raise ValidationError(_("结果审核后，成绩只能依据公示期内受理的异议更正"))
    check_can_score(actor, plan, score.enrolment, score.component, score.subscore)
    new = _score_row(
        actor=actor,
        plan=plan,
        enrolment=score.enrolment,
        component=score.component,
        subscore=score.subscore,
        outcome=outcome,
        value=value,
        source=Score.Source.FORM,
        replaces=score,
        reason=reason,
        objection=objection,
    )
    result_refresh(enrolment=score.enrolment, plan=plan, actor=actor)
    data = _describe(new)
    data["replaces"] = score.pk
    data["changes"] = {"value": [score.value, new.value], "outcome": [score.outcome, new.outcome]}
    data["objection"] = objection.pk if objection else None
    audit_append(
        actor=actor,
        event_type=EventType.SCORE_CORRECTED,
        target=new,
        organization=plan.organization,
        data=data,
        reason=reason,
    )
    return new


# --- results ----------------------------------------------------------------------------------
def _required_assessors(plan: AssessmentPlan, enrolment: Enrolment) -> dict[str, set[int]]:
    recused = set(RecusalRelation.objects.filter(enrolment=enrolment).values_list("assessor__user_id", flat=True))
    required: dict[str, set[int]] = defaultdict(set)
    for user_id, duty in PlanAssessor.objects.filter(plan=plan).values_list("user_id", "duty"):
        if user_id not in recused:
            required[duty].add(user_id)
    return required


def compute_result(plan: AssessmentPlan, enrolment: Enrolment) -> tuple[dict, str, str]:
    """(component values, outcome, explanation) from the current scores, by the standard's rules."""
    cfg = plan.standard_level
    components = cfg.components()
    current = list(_current(enrolment))
    if any(s.outcome == Score.Outcome.DISQUALIFIED for s in current):
        return {}, Result.Outcome.DISQUALIFIED, _("考试违纪，取消资格")
    required = _required_assessors(plan, enrolment)
    values: dict[str, Decimal | None] = {}
    absent, missing = [], []
    for component in components:
        scores = [s for s in current if s.component == component]
        if any(s.outcome == Score.Outcome.ABSENT for s in scores):
            absent.append(component)
            values[component] = None
            continue
        if component == Score.Component.THEORY:
            if not scores:
                missing.append(component)
                continue
            values[component] = _mean([s.value for s in scores])
            continue
        needed = required[DUTY_FOR[component]]
        by_assessor: dict[int, list[Score]] = defaultdict(list)
        for s in scores:
            by_assessor[s.assessor_id].append(s)
        if not needed or not needed <= set(by_assessor):
            missing.append(component)
            continue
        if component == Score.Component.REVIEW and cfg.review_subscores:
            weights = {s["name"]: Decimal(str(s["weight"])) for s in cfg.review_subscores}
            totals = []
            for user_id in needed:
                given = {s.subscore: s.value for s in by_assessor[user_id]}
                if set(given) != set(weights):
                    missing.append(component)
                    break
                totals.append(sum(given[name] * weights[name] / 100 for name in weights))
            else:
                values[component] = _mean(totals)
            continue
        values[component] = _mean([s.value for u in needed for s in by_assessor[u]])
    if absent and len(absent) == len(components):
        return values, Result.Outcome.ABSENT, _("缺考")
    if missing:
        names = "、".join(str(Score.Component(c).label) for c in missing)
        return values, Result.Outcome.INCOMPLETE, _("尚缺成绩：%(names)s") % {"names": names}
    passes = {
        Score.Component.THEORY: cfg.theory_pass,
        Score.Component.PRACTICAL: cfg.practical_pass,
        Score.Component.REVIEW: cfg.review_pass,
    }
    # An absent component fails the candidate (缺考科目视为不合格).
    failed = [str(Score.Component(c).label) for c in components if c in absent or values[c] < passes[c]]
    if failed:
        return values, Result.Outcome.FAIL, _("未达合格线：%(names)s") % {"names": "、".join(failed)}
    return values, Result.Outcome.PASS, ""


def result_refresh(*, enrolment: Enrolment, plan: AssessmentPlan, actor: User) -> Result:
    """Recompute one candidate's result inside the caller's transaction (its event covers it)."""
    values, outcome, detail = compute_result(plan, enrolment)
    result = Result.objects.filter(enrolment=enrolment).first() or Result(
        organization=plan.organization, plan=plan, enrolment=enrolment
    )
    new = {
        "theory": values.get(Score.Component.THEORY),
        "practical": values.get(Score.Component.PRACTICAL),
        "review": values.get(Score.Component.REVIEW),
        "outcome": outcome,
        "detail": detail,
    }
    if result.pk and all(getattr(result, k) == v for k, v in new.items()):
        return result
    for key, value in new.items():
        setattr(result, key, value)
    result.computed_at = timezone.now()
    save_tracked(result, actor=actor)
    return result
