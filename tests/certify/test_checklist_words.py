"""The plan page's checklist says of each line whether it is met (issue 11): a met line never
carries a zero count ("尚缺 0 人", "现有 0 件"), it says 已满足."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from certify.models import AssessmentPlan
from certify.scenarios import plan_walk
from tests.helpers import html
from tests.workflow import CLOSED_PLAN_MARKS, score_everyone

pytestmark = pytest.mark.django_db


def plan_page(as_user, user, plan) -> str:
    return html(as_user(user).get(reverse("certify:plan_detail", args=[plan.organization_id, plan.pk])))


def test_a_complete_score_sheet_reads_as_met_not_as_0_missing(world, as_user, scoring_plan):
    assert "（未满足）" in plan_page(as_user, world.a_reviewer, scoring_plan)  # scores still missing
    score_everyone(scoring_plan, CLOSED_PLAN_MARKS)
    page = plan_page(as_user, world.a_reviewer, scoring_plan)
    assert '全部考生成绩齐全 <span class="muted small">（已满足）</span>' in page
    assert "尚缺 0" not in page


def test_no_open_objection_reads_as_met_not_as_0_objections(world, as_user, ready_plan, today, monkeypatch):
    plan = plan_walk(
        ready_plan,
        operator=world.a_operator,
        reviewer=world.a_reviewer,
        until=AssessmentPlan.Status.PUBLICITY,
        filed_on=today,
        score=lambda p: score_everyone(p, CLOSED_PLAN_MARKS),
    )
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: plan.publicity_end + dt.timedelta(days=1))
    page = plan_page(as_user, world.a_operator, plan)
    assert '没有待处理的异议 <span class="muted small">（已满足）</span>' in page
    assert "现有 0 件" not in page
