"""A plan's panel (考评组): assessors added and removed while the plan is a draft, and each
assessor's recusal declaration (回避声明), which a change of the roster voids."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from accounts.models import Membership, User
from accounts.roles import Role
from audit.events import EventType
from audit.history import delete_tracked, save_tracked
from certify.actions import Act, require_action
from certify.models import AssessmentPlan, Enrolment, PlanAssessor, RecusalRelation
from certify.services.plan_base import lock_plan, plan_event


@transaction.atomic
def assessor_add(
    *, actor: User, plan: AssessmentPlan, user: User, duty: str, grade: str, qualification_no: str = ""
) -> PlanAssessor:
    plan = lock_plan(plan)
    require_action(Act.ASSESSORS, plan=plan, actor=actor)
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
    save_tracked(assessor, actor=actor)
    assign_perm("certify.score_plan", user, plan)
    plan_event(
        actor,
        plan,
        EventType.PLAN_ASSESSOR_ADDED,
        {"user": user.username, "name": user.get_full_name(), "duty": duty, "grade": grade},
    )
    return assessor


@transaction.atomic
def assessor_remove(*, actor: User, assessor: PlanAssessor) -> None:
    plan = lock_plan(assessor.plan)
    require_action(Act.ASSESSORS, plan=plan, actor=actor)
    assessor = PlanAssessor.objects.select_related("user").get(pk=assessor.pk, plan=plan)
    user, duty = assessor.user, assessor.duty
    for relation in assessor.relations.all():
        delete_tracked(relation, actor=actor)
    delete_tracked(assessor, actor=actor)
    if not PlanAssessor.objects.filter(plan=plan, user=user).exists():
        remove_perm("certify.score_plan", user, plan)
    plan_event(actor, plan, EventType.PLAN_ASSESSOR_REMOVED, {"user": user.username, "duty": duty})


@transaction.atomic
def recusal_declare(
    *, actor: User, assessor: PlanAssessor, relations: list[tuple[Enrolment, str, str]], statement: str = ""
) -> PlanAssessor:
    """The assessor declares, for themselves, every candidate they are related to (or none)."""
    plan = lock_plan(assessor.plan)
    assessor = PlanAssessor.objects.select_related("user").get(pk=assessor.pk, plan=plan)
    if assessor.user_id != actor.pk:
        raise ValidationError(_("回避声明须由考评人员本人提交"))
    require_action(Act.DECLARE_RECUSAL, plan=plan, actor=actor)
    for old in assessor.relations.all():
        delete_tracked(old, actor=actor)
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
        save_tracked(row, actor=actor)
        declared.append({"enrolment": enrolment.pk, "name": enrolment.person.name, "relation": relation})
    assessor.declared_at = timezone.now()
    assessor.declaration = (statement or "").strip() or (
        _("本人与本计划以下考生存在需回避的关系，不参与其评分。")
        if declared
        else _("本人与本计划全体考生均无需回避的关系。")
    )
    save_tracked(assessor, actor=actor)
    plan_event(
        actor, plan, EventType.RECUSAL_DECLARED, {"assessor": assessor.pk, "duty": assessor.duty, "relations": declared}
    )
    return assessor


def roster_changed(plan: AssessmentPlan, actor: User) -> list[PlanAssessor]:
    """A new or withdrawn candidate voids earlier declarations: each assessor declares again.
    Returns the duties whose declaration was voided, so the clerk can be told whose."""
    voided = list(PlanAssessor.objects.filter(plan=plan, declared_at__isnull=False).select_related("user"))
    for assessor in voided:
        assessor.declared_at = None
        save_tracked(assessor, actor=actor, reason=_("考生名单变化，须重新声明"), fields=["declared_at"])
    return voided


def assessor_names(assessors: list[PlanAssessor]) -> list[str]:
    """Each person once, in the order of the panel (one person may hold two duties)."""
    return list(dict.fromkeys(a.user.get_full_name() for a in assessors))
