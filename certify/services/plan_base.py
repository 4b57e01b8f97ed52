"""The plumbing every service of a plan shares: the plan row lock, the plan's audit event, the
roster that counts, and deleting an audited row with its actor."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from audit.events import EventType
from audit.services import audit_append
from certify.models import AssessmentPlan, Enrolment


def lock_plan(plan: AssessmentPlan) -> AssessmentPlan:
    """The plan re-read under its row lock: every change to a plan, its roster, panel, scores or
    objections takes it first, so two of them never interleave."""
    # Only the plan row: PostgreSQL refuses FOR UPDATE across the outer join of the optional 工种.
    return (
        AssessmentPlan.objects.select_for_update(of=("self",))
        .select_related("organization", "standard_level", "standard_version", "occupation", "work_type")
        .get(pk=plan.pk)
    )


def plan_event(
    actor: User, plan: AssessmentPlan, event_type: EventType, data: dict | None = None, reason: str = ""
) -> None:
    audit_append(
        actor=actor, event_type=event_type, target=plan, organization=plan.organization, data=data or {}, reason=reason
    )


def active_enrolments(plan: AssessmentPlan) -> QuerySet[Enrolment]:
    """The candidates who count: registered, not withdrawn."""
    return Enrolment.objects.filter(plan=plan, status=Enrolment.Status.REGISTERED)
