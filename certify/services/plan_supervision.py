"""The bureau's oversight of a running plan: the external quality supervisor (质量督导员) it
assigns, and the supervisor's report."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import BureauRole
from audit.events import EventType
from audit.history import save_tracked
from certify.actions import Act, require_action
from certify.models import AssessmentPlan, SupervisionReport
from certify.services.plan_base import lock_plan, plan_event


@transaction.atomic
def plan_assign_supervisor(*, actor: User, plan: AssessmentPlan, supervisor: User) -> AssessmentPlan:
    plan = lock_plan(plan)
    require_action(Act.ASSIGN_SUPERVISOR, plan=plan, actor=actor)
    if not supervisor.groups.filter(name=BureauRole.SUPERVISOR).exists():
        raise ValidationError({"supervisor": _("所选人员不是质量督导员")})
    old = plan.supervisor.username if plan.supervisor_id else None
    plan.supervisor = supervisor
    save_tracked(plan, actor=actor, fields=["supervisor"])
    plan_event(
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
    plan = lock_plan(plan)
    require_action(Act.REPORT_SUPERVISION, plan=plan, actor=actor)
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
    save_tracked(report, actor=actor)
    plan_event(
        actor,
        plan,
        EventType.SUPERVISION_REPORTED,
        {"visited_on": visited_on, "attended": attended, "problems_found": bool(report.problems)},
    )
    return report
