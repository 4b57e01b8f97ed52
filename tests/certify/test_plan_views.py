"""Every plan-workflow view: outsider 404, wrong role 403, anonymous → login, wrong method 405,
success → the change and exactly one audit event per change with the right actor and organisation."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from PIL import Image

from certify.models import AssessmentPlan, PlanAssessor
from tests.helpers import assert_one_event, assert_status, check_guards
from tests.workflow import score_everyone

pytestmark = pytest.mark.django_db


def url(name, plan, *args):
    return reverse(f"certify:{name}", args=[plan.organization_id, plan.pk, *args])


def _jpeg(width=600, height=840) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (230, 230, 230)).save(out, "JPEG")
    return out.getvalue()


# --- list, create, edit, detail -------------------------------------------------------------
def test_plan_list(world, as_user, ready_plan):
    list_url = reverse("certify:plan_list", args=[world.org_a.pk])
    text = assert_status(as_user(world.a_viewer), "get", list_url, 200).content.decode()
    assert ready_plan.number in text
    check_guards(
        as_user,
        method="get",
        url=list_url,
        outsiders=[world.b_operator, world.supervisor],
        wrong_method="post",
        user=world.a_viewer,
    )


def test_plan_create(world, as_user, published, audit_probe):
    create = reverse("certify:plan_create", args=[world.org_a.pk])
    exam = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    data = {"standard": f"{published.pk}:4", "exam_date": exam, "venue": "实训车间", "theory_rooms": "1"}
    check_guards(
        as_user,
        method="post",
        url=create,
        data=data,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer, world.a_assessor, world.a_reviewer, world.bureau_auditor],
        wrong_method="put",
        user=world.a_operator,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", create, 302, data)
    plan = AssessmentPlan.objects.get(organization=world.org_a)
    assert plan.level == 4 and plan.status == "draft"
    assert_one_event(probe, event_type="plan.created", actor=world.a_operator, organization=world.org_a)


def test_plan_create_refuses_another_organisations_standard(world, as_user, published, filings):
    create = reverse("certify:plan_create", args=[world.org_b.pk])
    data = {"standard": f"{published.pk}:4", "exam_date": "2030-01-10", "venue": "x", "theory_rooms": "1"}
    text = assert_status(as_user(world.b_operator), "post", create, 200, data).content.decode()
    assert "选择一个有效的选项" in text  # org B's form offers only org B's published standards
    assert not AssessmentPlan.objects.filter(organization=world.org_b).exists()


def test_plan_edit(world, as_user, ready_plan, audit_probe):
    edit = url("plan_edit", ready_plan)
    data = {"title": "新名称", "exam_date": ready_plan.exam_date.isoformat(), "venue": "新地点", "theory_rooms": "1"}
    check_guards(
        as_user,
        method="post",
        url=edit,
        data=data,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer, world.a_assessor],
        wrong_method="put",
        user=world.a_operator,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", edit, 302, data)
    ready_plan.refresh_from_db()
    assert ready_plan.venue == "新地点"
    assert_one_event(probe, event_type="plan.updated", actor=world.a_operator, organization=world.org_a)


def test_plan_detail_shows_the_step_bar_and_what_is_missing(world, as_user, plan_factory):
    plan = plan_factory()
    text = assert_status(as_user(world.a_viewer), "get", url("plan_detail", plan), 200).content.decode()
    assert "报备前须满足" in text and "已登记考生（现有 0 名）" in text
    assert 'class="current">草稿' in text
    assert_status(as_user(world.bureau_auditor), "get", url("plan_detail", plan), 200)
    check_guards(
        as_user,
        method="get",
        url=url("plan_detail", plan),
        outsiders=[world.b_operator, world.supervisor],
        wrong_method="post",
        user=world.a_viewer,
    )
    # the same plan through another organisation's URL
    assert_status(as_user(world.b_operator), "get", reverse("certify:plan_detail", args=[world.org_b.pk, plan.pk]), 404)


def test_plan_detail_query_count_does_not_grow_with_candidates(
    world, as_user, ready_plan, django_assert_max_num_queries
):
    client = as_user(world.a_operator)
    client.get(url("plan_detail", ready_plan))
    with django_assert_max_num_queries(45):
        client.get(url("plan_detail", ready_plan))


# --- transitions ------------------------------------------------------------------------------
def test_filing_through_the_view(world, as_user, ready_plan, audit_probe):
    file_url = url("plan_transition", ready_plan, "file")
    check_guards(
        as_user,
        method="post",
        url=file_url,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer, world.a_assessor, world.bureau_admin],
        wrong_method="get",
        user=world.a_operator,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", file_url, 302)
    ready_plan.refresh_from_db()
    assert ready_plan.status == "filed"
    assert_one_event(probe, event_type="plan.filed", actor=world.a_operator, organization=world.org_a)


def test_filing_refusal_lists_every_unmet_rule_in_chinese(world, as_user, plan_factory, audit_probe):
    plan = plan_factory()
    probe = audit_probe()
    response = as_user(world.a_operator).post(url("plan_transition", plan, "file"), follow=True)
    text = response.content.decode()
    assert "评价计划暂不能报备" in text and "已登记考生（现有 0 名）" in text
    plan.refresh_from_db()
    assert plan.status == "draft" and probe.events() == []


def test_unknown_transition_is_404(world, as_user, ready_plan):
    assert_status(as_user(world.a_operator), "post", url("plan_transition", ready_plan, "teleport"), 404)


def test_scoring_approval_publicity_and_close_through_the_views(world, as_user, scoring_plan, audit_probe, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: scoring_plan.exam_date)  # the exam day has come
    score_everyone(scoring_plan, {"张伟": (80, 80), "王芳": (70, 70), "李娜": (65, 61), "刘洋": (90, 90)})
    approve = url("plan_transition", scoring_plan, "approve")
    # the operator and the assessors who scored may not approve; the reviewer may
    assert_status(as_user(world.a_operator), "post", approve, 403)
    probe = audit_probe()
    assert_status(as_user(world.a_reviewer), "post", approve, 302)
    assert_one_event(probe, event_type="plan.results_approved", actor=world.a_reviewer, organization=world.org_a)
    publicity = url("plan_transition", scoring_plan, "publicity")
    assert_status(as_user(world.a_reviewer), "post", publicity, 403)
    probe = audit_probe()
    response = as_user(world.a_operator).post(publicity, follow=True)
    assert "已发布公示，公示期至" in response.content.decode()
    assert_one_event(probe, event_type="plan.publicity_started", actor=world.a_operator, organization=world.org_a)
    close = url("plan_transition", scoring_plan, "close")
    response = as_user(world.a_operator).post(close, follow=True)
    assert "公示期已届满" in response.content.decode()
    scoring_plan.refresh_from_db()
    assert scoring_plan.status == "publicity"


def test_cancel_view(world, as_user, ready_plan, audit_probe):
    cancel = url("plan_cancel", ready_plan)
    check_guards(
        as_user,
        method="post",
        url=cancel,
        data={"reason": "x"},
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer],
        wrong_method="get",
        user=world.a_operator,
    )
    response = as_user(world.a_operator).post(cancel, {"reason": ""}, follow=True)
    assert "须填写原因" in response.content.decode()
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", cancel, 302, {"reason": "生产任务调整"})
    ready_plan.refresh_from_db()
    assert ready_plan.status == "cancelled"
    assert_one_event(probe, event_type="plan.cancelled", actor=world.a_operator, organization=world.org_a)


# --- panel --------------------------------------------------------------------------------------
def test_assessor_add_and_remove(world, as_user, plan_factory, assessors, audit_probe):
    plan = plan_factory()
    add = url("assessor_add", plan)
    data = {"user": assessors[0].pk, "duty": "practical", "grade": "senior"}
    check_guards(
        as_user,
        method="post",
        url=add,
        data=data,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer, world.a_assessor],
        wrong_method="get",
        user=world.a_operator,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", add, 302, data)
    member = PlanAssessor.objects.get(plan=plan)
    from guardian.shortcuts import get_perms

    assert "score_plan" in get_perms(assessors[0], plan)
    assert_one_event(probe, event_type="plan.assessor_added", actor=world.a_operator, organization=world.org_a)
    remove = url("assessor_remove", plan, member.pk)
    check_guards(
        as_user,
        method="post",
        url=remove,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_viewer],
        wrong_method="get",
        user=world.a_operator,
    )
    probe = audit_probe()
    assert_status(as_user(world.a_operator), "post", remove, 302)
    assert not PlanAssessor.objects.filter(plan=plan).exists()
    assert "score_plan" not in get_perms(assessors[0], plan)
    assert_one_event(probe, event_type="plan.assessor_removed", actor=world.a_operator, organization=world.org_a)


def test_recusal_declaration_is_made_by_the_assessor_themselves(world, as_user, ready_plan, audit_probe):
    member = PlanAssessor.objects.filter(plan=ready_plan, user=world.a_assessor).first()
    declare = url("recusal_declare", ready_plan, member.pk)
    enrolment = ready_plan.enrolments.first()
    data = {f"rel_{enrolment.pk}": "relative", "confirm": "on", "statement": ""}
    check_guards(
        as_user,
        method="post",
        url=declare,
        data=data,
        outsiders=[world.b_operator],
        wrong_roles=[world.a_operator, world.a_reviewer],
        wrong_method="put",
        user=world.a_assessor,
    )
    assert_status(as_user(world.a_assessor), "get", declare, 200)
    probe = audit_probe()
    assert_status(as_user(world.a_assessor), "post", declare, 302, data)
    member.refresh_from_db()
    assert member.relations.get().enrolment == enrolment
    assert_one_event(probe, event_type="plan.recusal_declared", actor=world.a_assessor, organization=world.org_a)
