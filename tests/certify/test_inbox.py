"""The task inbox of the organisation members' home page (issue 11): each role sees its work with
counts and links, another tenant's work is never counted, an empty inbox says so, and the page
asks the same queries however many plans there are."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.inbox import organization_inbox
from certify.models import Filing
from certify.services.enrolments import enrolment_register
from certify.services.filings import ScopeSpec, filing_create
from certify.services.recovery import certificate_job_failed
from tests.builders import add_panel, make_plan, publish_with_direct_grading
from tests.helpers import html, page_queries
from tests.workflow import CLOSED_PLAN_MARKS, candidate, candidate_ids, occ, score_everyone

pytestmark = pytest.mark.django_db
HOME = "/"


def items(user, org) -> dict:
    """key → item of the user's inbox for one organisation."""
    groups = organization_inbox(user, [org])
    return {item.key: item for group in groups for item in group.items}


def plan_url(plan) -> str:
    return reverse("certify:plan_detail", args=[plan.organization_id, plan.pk])


def test_operator_sees_the_draft_to_file_and_the_photos_missing(world, as_user, ready_plan):
    mine = items(world.a_operator, world.org_a)
    assert mine["plan.file"].count == 1
    assert mine["plan.file"].url == plan_url(ready_plan)  # one plan: its own page
    assert mine["operator.photos"].count == 4
    page = html(as_user(world.a_operator).get(HOME))
    assert "待办事项" in page and "草稿，待报备" in page and "缺少证件照的考生" in page
    assert plan_url(ready_plan) in page
    # the other tenant's operator and the assessor are not told about it
    assert items(world.b_operator, world.org_b) == {}
    assert "plan.file" not in items(world.a_assessor, world.org_a)


def test_two_plans_waiting_link_to_the_list_in_that_state(world, ready_plan, plan_factory):
    plan_factory()
    item = items(world.a_operator, world.org_a)["plan.file"]
    assert item.count == 2
    assert item.url == reverse("certify:plan_list", args=[world.org_a.pk]) + "?status=draft"


def test_assessor_sees_the_declaration_to_make_then_the_sheet_to_fill(world, as_user, plan_factory, assessors):
    plan = plan_factory()
    add_panel(world, plan, practical=[world.a_assessor])
    mine = items(world.a_assessor, world.org_a)
    assert mine["assessor.declare"].count == 1
    assert mine["assessor.declare"].url == plan_url(plan)
    assert "待提交回避声明" in html(as_user(world.a_assessor).get(HOME))
    # another assessor of the organisation, not on the panel, has nothing to declare
    assert "assessor.declare" not in items(assessors[4], world.org_a)


def test_assessor_sheet_stays_until_every_candidate_is_scored(world, scoring_plan):
    sheet = reverse("certify:score_sheet", args=[world.org_a.pk, scoring_plan.pk])
    assert items(world.a_assessor, world.org_a)["assessor.sheets"].url == sheet
    score_everyone(scoring_plan, CLOSED_PLAN_MARKS)
    assert "assessor.sheets" not in items(world.a_assessor, world.org_a)


def test_reviewer_sees_results_to_approve_once_every_score_is_in(world, as_user, scoring_plan):
    assert "plan.approve" not in items(world.a_reviewer, world.org_a)  # scores still missing
    score_everyone(scoring_plan, CLOSED_PLAN_MARKS)
    mine = items(world.a_reviewer, world.org_a)
    assert mine["plan.approve"].count == 1 and mine["plan.approve"].url == plan_url(scoring_plan)
    assert "成绩已录齐，待审核评价结果" in html(as_user(world.a_reviewer).get(HOME))
    # approving is not the operator's step
    assert "plan.approve" not in items(world.a_operator, world.org_a)


def test_reviewer_sees_direct_gradings_to_approve(world, draft, today):
    version = publish_with_direct_grading(world, draft)
    plan = make_plan(world, version, level=4, exam_date=today + dt.timedelta(days=40), allow_direct_grading=True)
    for i, name in enumerate(["黄磊", "周强"]):
        data = candidate(name, candidate_ids(1, start=60 + i)[0], route="direct", direct_justification="技能大赛获奖")
        enrolment_register(actor=world.a_operator, plan=plan, data=data)
    item = items(world.a_reviewer, world.org_a)["reviewer.direct"]
    assert (item.count, item.url) == (2, plan_url(plan))
    assert "reviewer.direct" not in items(world.a_operator, world.org_a)


def test_closed_plan_waits_for_issue_then_its_certificates_for_the_upload(world, closed_plan, certs):
    mine = items(world.a_operator, world.org_a)
    assert "plan.issue" not in mine  # issued
    assert mine["operator.upload"].count == 3
    assert mine["operator.upload"].url == reverse("certify_export:export_page", args=[world.org_a.pk])
    certificate_job_failed(certificate_id=certs[0].pk, error="字体缺字")
    failed = items(world.a_operator, world.org_a)["operator.failed"]
    assert failed.count == 1
    assert failed.url == reverse("certify:issuance_progress", args=[world.org_a.pk, closed_plan.pk])
    assert items(world.b_operator, world.org_b) == {}


def test_a_closed_plan_not_yet_issued_waits_for_its_certificates(world, closed_plan):
    assert items(world.a_operator, world.org_a)["plan.issue"].url == plan_url(closed_plan)


def test_a_filing_ending_within_90_days_is_in_the_inbox_and_said_on_the_filing_pages(world, as_user, filings, today):
    filing = filing_create(
        actor=world.bureau_admin,
        organization=world.org_a,
        number="东人社评备〔2025〕009号",
        valid_from=today - dt.timedelta(days=300),
        valid_until=today + dt.timedelta(days=60),
        scopes=[ScopeSpec(occupation=occ("6-18-01-01"), work_type=None, levels=(5,))],
    )
    item = items(world.a_operator, world.org_a)["operator.filings"]
    assert item.count == 1 and "将于 60 天后到期" in item.note
    assert item.url == reverse("certify:org_filing_detail", args=[world.org_a.pk, filing.pk])
    for user, url in (
        (world.a_operator, reverse("certify:org_filing_list", args=[world.org_a.pk])),
        (world.a_operator, item.url),
        (world.bureau_admin, reverse("certify:bureau_filing_list")),
        (world.bureau_admin, reverse("certify:bureau_filing_detail", args=[filing.pk])),
    ):
        assert "将于 60 天后到期" in html(as_user(user).get(url)), url
    # the filing that ends in two years still says 有效, and org B hears nothing of org A's filing
    assert Filing.objects.get(number="东人社评备〔2025〕001号").valid_until > today + dt.timedelta(days=90)
    assert "operator.filings" not in items(world.b_operator, world.org_b)


def test_the_notice_period_is_a_setting(world, filings, today, settings):
    filing_create(
        actor=world.bureau_admin,
        organization=world.org_a,
        number="东人社评备〔2025〕010号",
        valid_from=today - dt.timedelta(days=300),
        valid_until=today + dt.timedelta(days=60),
        scopes=[ScopeSpec(occupation=occ("6-18-01-01"), work_type=None, levels=(5,))],
    )
    settings.SKILLCERT_FILING_EXPIRY_NOTICE_DAYS = 30
    assert "operator.filings" not in items(world.a_operator, world.org_a)


def test_an_empty_inbox_says_so(world, as_user):
    page = html(as_user(world.a_viewer).get(HOME))
    assert "目前没有需要您处理的事项。" in page


def test_home_page_queries_do_not_grow_with_plans(world, as_user, ready_plan, plan_factory, assessors):
    client = as_user(world.a_org_admin)
    first = page_queries(client, HOME)
    for _i in range(3):
        plan = plan_factory()
        add_panel(world, plan, practical=[world.a_assessor])
    assert page_queries(client, HOME) == first
    assert items(world.a_org_admin, world.org_a)["plan.file"].count == 4
