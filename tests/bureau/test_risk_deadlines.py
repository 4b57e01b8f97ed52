"""Issue 12, finding 2: results are published within 10 working days after the exam (domain.md §4).
A late start of publicity is recorded on the plan's event and flagged by the bureau's risk scan, as
is an examined plan whose results are still unpublished past that day."""

import datetime as dt

import pytest
from django.utils import timezone

from audit.actors import system_actor
from audit.models import AuditEvent, RiskFlag
from bureau.risk import risk_scan
from certify.services import calendar
from certify.services.plans import plan_approve_results, plan_start_publicity, results_deadline
from tests.workflow import CLOSED_PLAN_MARKS, score_everyone

pytestmark = pytest.mark.django_db
R = RiskFlag.Rule


def scan_on(monkeypatch, day: dt.date) -> list[RiskFlag]:
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: moment)
        risk_scan(actor=system_actor("risk"), rules=[R.LATE_PUBLICITY])
    return list(RiskFlag.objects.filter(rule=R.LATE_PUBLICITY))


@pytest.fixture
def approved(world, scoring_plan):
    score_everyone(scoring_plan, CLOSED_PLAN_MARKS)
    return plan_approve_results(actor=world.a_reviewer, plan=scoring_plan)


def test_the_deadline_is_ten_working_days_after_the_exam(approved):
    assert calendar.working_days_between(approved.exam_date, results_deadline(approved)) == 10


def test_publicity_started_on_the_last_day_raises_nothing(world, approved, monkeypatch):
    deadline = results_deadline(approved)
    plan_start_publicity(actor=world.a_operator, plan=approved, today=deadline)

    assert scan_on(monkeypatch, deadline + dt.timedelta(days=30)) == []
    event = AuditEvent.objects.filter(event_type="plan.publicity_started").latest("pk")
    assert event.data["late_working_days"] == 0 and event.data["deadline"] == deadline.isoformat()


def test_publicity_started_late_is_recorded_and_flagged(world, approved, monkeypatch):
    """Reproduced: publicity started 45 working days after the exam was accepted, unremarked."""
    late_day = calendar.add_working_days(approved.exam_date, 45)
    plan_start_publicity(actor=world.a_operator, plan=approved, today=late_day)

    event = AuditEvent.objects.filter(event_type="plan.publicity_started").latest("pk")
    assert event.data["late_working_days"] == 35
    [flag] = scan_on(monkeypatch, late_day + dt.timedelta(days=1))
    assert flag.target_id == str(approved.pk) and flag.evidence["late_working_days"] == 35
    assert "超过期限" in flag.summary and approved.number in flag.summary


def test_results_still_unpublished_past_the_deadline_are_flagged(approved, monkeypatch):
    deadline = results_deadline(approved)
    assert scan_on(monkeypatch, deadline) == []

    [flag] = scan_on(monkeypatch, calendar.add_working_days(deadline, 3))
    assert "至今未公示" in flag.summary and flag.evidence["late_working_days"] == 3
