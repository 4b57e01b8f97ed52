"""The short-lead risk flag in words (issue 11): a plan that reached the bureau after its exam says
so, instead of "仅 0 个工作日"."""

import datetime as dt

import pytest

from audit.actors import system_actor
from audit.models import RiskFlag
from bureau.risk import risk_scan
from certify.services import calendar
from certify.services.plans import plan_file
from tests.builders import add_panel, declare_all, register_all

pytestmark = pytest.mark.django_db


def test_a_plan_filed_after_its_exam_says_so_instead_of_a_lead_of_0_working_days(world, plan_factory, assessors, today):
    # the filing rules were checked as of a day long past (a plan walked late, as the demo does):
    # the record says 5 working days of lead, but it reached the bureau after the exam
    filed_on = today - dt.timedelta(days=40)
    exam = calendar.add_working_days(filed_on, 5)
    plan = plan_factory(exam_date=exam)
    register_all(world, plan, ["张伟", "王芳"])
    add_panel(world, plan, practical=assessors[:3], theory=assessors[3:5])
    declare_all(plan)
    plan_file(actor=world.a_operator, plan=plan, today=filed_on)
    risk_scan(actor=system_actor("risk"), rules=[RiskFlag.Rule.SHORT_LEAD])
    [flag] = RiskFlag.objects.filter(rule=RiskFlag.Rule.SHORT_LEAD)
    assert f"晚于考核日期 {exam.isoformat()}" in flag.summary
    assert "仅 0 个工作日" not in flag.summary
