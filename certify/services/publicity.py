"""Publicity (公示): objections recorded during the period and resolved with a reason; an upheld
objection is carried out through the score-correction path, never by editing a result."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.events import EventType
from audit.history import save_tracked
from audit.services import audit_append
from certify.actions import Act, require_action
from certify.models import AssessmentPlan, Enrolment, Objection, Score
from certify.services.plan_base import lock_plan


@transaction.atomic
def objection_record(
    *,
    actor: User,
    plan: AssessmentPlan,
    raised_by: str,
    content: str,
    received_on: dt.date | None = None,
    contact: str = "",
    enrolment: Enrolment | None = None,
) -> Objection:
    plan = lock_plan(plan)
    require_action(Act.RECORD_OBJECTION, plan=plan, actor=actor)
    received_on = received_on or timezone.localdate()
    if not plan.publicity_start <= received_on <= plan.publicity_end:
        raise ValidationError(
            {
                "received_on": _("收到日期须在公示期内（%(s)s 至 %(e)s）")
                % {"s": plan.publicity_start, "e": plan.publicity_end}
            }
        )
    if enrolment is not None and enrolment.plan_id != plan.pk:
        raise ValidationError({"enrolment": _("所选考生不在本计划中")})
    raised_by, content = (raised_by or "").strip(), (content or "").strip()
    if not raised_by:
        raise ValidationError({"raised_by": _("请填写异议人")})
    if not content:
        raise ValidationError({"content": _("请填写异议内容")})
    objection = Objection(
        organization=plan.organization,
        plan=plan,
        enrolment=enrolment,
        raised_by=raised_by,
        contact=(contact or "").strip(),
        content=content,
        received_on=received_on,
        recorded_by=actor,
    )
    save_tracked(objection, actor=actor)
    audit_append(
        actor=actor,
        event_type=EventType.OBJECTION_RECORDED,
        target=objection,
        organization=plan.organization,
        data={"plan": plan.number, "enrolment": enrolment.pk if enrolment else None, "received_on": received_on},
    )
    return objection


@transaction.atomic
def objection_resolve(*, actor: User, objection: Objection, upheld: bool, resolution: str) -> Objection:
    """Upheld: the correction must already exist (a score corrected citing this objection).
    Rejected: the reason is required. Either way the resolution is written down."""
    plan = lock_plan(objection.plan)
    require_action(Act.RESOLVE_OBJECTION, plan=plan, actor=actor)
    objection = Objection.objects.select_for_update(of=("self",)).get(pk=objection.pk, plan=plan)
    if objection.status != Objection.Status.OPEN:
        raise ValidationError(_("该异议已处理"))
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": _("请写明处理结果和理由")})
    corrections = list(Score.objects.filter(objection=objection).values_list("pk", flat=True))
    if upheld and not corrections:
        raise ValidationError(_("异议成立时，须先由考评员依据该异议更正成绩，再办结异议"))
    objection.status = Objection.Status.UPHELD if upheld else Objection.Status.REJECTED
    objection.resolution, objection.resolved_by, objection.resolved_at = resolution, actor, timezone.now()
    save_tracked(objection, actor=actor, reason=resolution)
    audit_append(
        actor=actor,
        event_type=EventType.OBJECTION_RESOLVED,
        target=objection,
        organization=plan.organization,
        data={"upheld": upheld, "corrections": corrections, "plan": plan.number},
        reason=resolution,
    )
    return objection
