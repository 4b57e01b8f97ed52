"""Issue 12: rules that slipped through — the filing gate at plan creation, at a new exam date and
at publicity (filing, start and issuance had it), and the practical panel each candidate keeps
after recusals."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accounts.roles import Role
from certify.models import AssessmentPlan, PlanAssessor
from certify.services.enrolments import enrolment_withdraw
from certify.services.filings import filing_suspend
from certify.services.plans import (
    filing_checks,
    plan_approve_results,
    plan_create,
    plan_file,
    plan_start_publicity,
    plan_update,
    recusal_declare,
)
from tests import factories
from tests.builders import add_panel
from tests.workflow import CLOSED_PLAN_MARKS, score_everyone

pytestmark = pytest.mark.django_db


# --- issue 12: the filing gate at creation, at a new exam date and at publicity -----------------
def test_a_plan_is_not_created_for_an_exam_after_the_filing_expires(world, ready_plan, filings):
    filing_a, _ = filings
    late = filing_a.valid_until + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        plan_create(
            actor=world.a_operator,
            organization=world.org_a,
            standard_version=ready_plan.standard_version,
            level=ready_plan.level,
            exam_date=late,
        )
    message = refused.value.message_dict["exam_date"][0]
    assert message.startswith("创建评价计划：")
    assert "东人社评备〔2025〕001号" in message and filing_a.valid_until.isoformat() in message


def test_a_plan_is_not_created_under_a_suspended_filing(world, ready_plan, filings):
    filing_suspend(actor=world.bureau_admin, filing=filings[0], reason="年度未开展评价")
    count = AssessmentPlan.objects.count()
    with pytest.raises(ValidationError) as refused:
        plan_create(
            actor=world.a_operator,
            organization=world.org_a,
            standard_version=ready_plan.standard_version,
            level=ready_plan.level,
            exam_date=ready_plan.exam_date,
        )
    assert "已被暂停（年度未开展评价）" in refused.value.message_dict["exam_date"][0]
    assert AssessmentPlan.objects.count() == count


def test_the_exam_date_cannot_move_past_the_filing(world, ready_plan, filings):
    filing_a, _ = filings
    with pytest.raises(ValidationError) as refused:
        plan_update(actor=world.a_operator, plan=ready_plan, exam_date=filing_a.valid_until + dt.timedelta(days=3))
    assert refused.value.message_dict["exam_date"][0].startswith("修改考核日期：")
    ready_plan.refresh_from_db()
    assert ready_plan.exam_date < filing_a.valid_until


# --- issue 12: the practical panel after recusal ---------------------------------------------------
def _declare_relation(plan, member, name):
    enrolment = plan.enrolments.get(person__name=name)
    recusal_declare(actor=member.user, assessor=member, relations=[(enrolment, "relative", "")])


def test_recusals_that_leave_a_candidate_one_practical_assessor_block_filing(world, ready_plan, today):
    """Reproduced: two of three practical assessors declared a relation with 张伟, who was then
    passed on the third one's score alone."""
    practical = list(ready_plan.assessors.filter(duty="practical").order_by("pk"))
    for member in practical[:2]:
        _declare_relation(ready_plan, member, "张伟")

    unmet = [c.text for c in filing_checks(ready_plan, today) if not c.ok]
    assert any("回避后每名考生的操作技能考评组仍不少于 3 人" in t and "张伟 仅余 1 人" in t for t in unmet)
    with pytest.raises(ValidationError) as refused:
        plan_file(actor=world.a_operator, plan=ready_plan, today=today)
    assert "张伟 仅余 1 人" in " ".join(refused.value.messages)


def test_one_recusal_from_a_panel_of_three_leaves_two_which_is_refused_and_a_fourth_fixes_it(world, ready_plan, today):
    practical = list(ready_plan.assessors.filter(duty="practical").order_by("pk"))
    _declare_relation(ready_plan, practical[0], "王芳")
    assert any("王芳 仅余 2 人" in c.text for c in filing_checks(ready_plan, today) if not c.ok)

    more = factories.member(world.org_a, Role.ASSESSOR, actor=world.bureau_admin, username="a_extra1")
    for member in add_panel(world, ready_plan, practical=[more]):
        recusal_declare(actor=member.user, assessor=member, relations=[])
    ready_plan.refresh_from_db()
    assert not [c.text for c in filing_checks(ready_plan, today) if "回避后" in c.text and not c.ok]


def test_an_installation_may_require_the_panel_left_after_recusal_to_be_odd(world, ready_plan, today, settings):
    settings.SKILLCERT_RECUSAL_PANEL_MUST_BE_ODD = True
    more = [
        factories.member(world.org_a, Role.ASSESSOR, actor=world.bureau_admin, username=f"a_extra{i}") for i in (1, 2)
    ]
    for member in add_panel(world, ready_plan, practical=more):
        recusal_declare(actor=member.user, assessor=member, relations=[])
    practical = list(ready_plan.assessors.filter(duty="practical").order_by("pk"))
    _declare_relation(ready_plan, practical[0], "王芳")  # 5 - 1 = 4

    unmet = [c.text for c in filing_checks(ready_plan, today) if "回避后" in c.text and not c.ok]
    assert unmet and "且为奇数" in unmet[0] and "王芳 仅余 4 人" in unmet[0]


def test_publicity_is_refused_while_the_filing_is_suspended(world, scoring_plan, filings):
    score_everyone(scoring_plan, CLOSED_PLAN_MARKS)
    plan = plan_approve_results(actor=world.a_reviewer, plan=scoring_plan)
    filing_suspend(actor=world.bureau_admin, filing=filings[0], reason="投诉核查中")

    with pytest.raises(ValidationError) as refused:
        plan_start_publicity(actor=world.a_operator, plan=plan, today=plan.exam_date)
    assert "备案 东人社评备〔2025〕001号 已被暂停（投诉核查中）" in " ".join(refused.value.messages)
    plan.refresh_from_db()
    assert plan.status == "results_approved"


def test_withdrawing_a_candidate_keeps_every_declaration(world, ready_plan, today):
    """Issue 11: a withdrawal only removes people, so nobody has anyone new to declare about."""
    enrolment = ready_plan.enrolments.first()
    withdrawn = enrolment_withdraw(actor=world.a_operator, enrolment=enrolment, reason="本人调岗，放弃本次评价")
    assert withdrawn.declarations_voided == []
    assert not PlanAssessor.objects.filter(plan=ready_plan, declared_at__isnull=True).exists()
    assert plan_file(actor=world.a_operator, plan=ready_plan, today=today).status == AssessmentPlan.Status.FILED
