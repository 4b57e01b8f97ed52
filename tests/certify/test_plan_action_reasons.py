"""Issue 11, item 7: a plan action the rules do not allow now is shown disabled, its reason beside
it in plain Chinese, and asks no confirmation — 报备 blocked, 公示结束 before its date, 补齐 on a
fully issued plan. The reasons are the checks the services refuse with (certify.actions)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.formats import date_format

from certify.models import PlanAssessor
from certify.services import enrolments
from certify.services.plans import plan_approve_results, plan_start_publicity
from tests.certify.test_plan_actions import page_actions
from tests.workflow import candidate, candidate_ids, score_everyone

pytestmark = pytest.mark.django_db


def _page(as_user, user, plan) -> str:
    return as_user(user).get(reverse("certify:plan_detail", args=[plan.organization_id, plan.pk])).content.decode()


def _disabled_button(html: str, key: str) -> str:
    """The label of the disabled button of ``key``; fails when it is not disabled."""
    found = re.search(
        rf'<span class="action-blocked" data-action="{key}">'
        r'<button class="btn" type="button" disabled[^>]*>([^<]+)</button>',
        html,
    )
    assert found, f"{key} is not shown disabled"
    return found.group(1)


def _no_form_for(html: str, url: str) -> None:
    assert f'action="{url}"' not in html


def test_filing_blocked_by_a_missing_declaration_says_who_has_not_declared(world, as_user, ready_plan):
    enrolments.enrolment_register(
        actor=world.a_operator, plan=ready_plan, data=candidate("周杰", candidate_ids(1, start=710)[0])
    )
    names = "、".join(sorted({m.user.get_full_name() for m in PlanAssessor.objects.filter(plan=ready_plan)}))
    page = page_actions(as_user, world.a_operator, ready_plan)
    assert isinstance(page.found["file"], list)
    assert f"尚有考评人员未提交回避声明：{names}（{names} 的声明因考生名单变化已失效）" in page.found["file"]
    assert "file" not in page.confirms
    html = _page(as_user, world.a_operator, ready_plan)
    assert _disabled_button(html, "file") == "报备评价计划"
    transition = reverse("certify:plan_transition", args=[ready_plan.organization_id, ready_plan.pk, "file"])
    _no_form_for(html, transition)


def test_closing_before_the_end_of_publicity_is_disabled_with_the_date(world, as_user, scoring_plan):
    score_everyone(scoring_plan, {"张伟": (80, 80), "王芳": (70, 70), "李娜": (65, 61), "刘洋": (90, 90)})
    plan_approve_results(actor=world.a_reviewer, plan=scoring_plan)
    plan = plan_start_publicity(actor=world.a_operator, plan=scoring_plan, today=scoring_plan.exam_date)
    html = _page(as_user, world.a_operator, plan)
    assert _disabled_button(html, "close") == "公示结束，结束计划"
    end = date_format(plan.publicity_end, "DATE_FORMAT")
    assert f"公示期至 {end}，期满后才能结束计划" in html
    _no_form_for(html, reverse("certify:plan_transition", args=[plan.organization_id, plan.pk, "close"]))
    assert "close" not in page_actions(as_user, world.a_operator, plan).confirms


def test_completing_a_fully_issued_plan_is_disabled_saying_all_are_issued(world, as_user, closed_plan, issued):
    html = _page(as_user, world.a_operator, closed_plan)
    assert _disabled_button(html, "issue") == "补齐未发的证书"
    assert "本计划证书已全部核发" in html
    _no_form_for(html, reverse("certify:issuance_start", args=[closed_plan.organization_id, closed_plan.pk]))
    assert "issue" not in page_actions(as_user, world.a_operator, closed_plan).confirms
