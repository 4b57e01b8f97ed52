"""Assessment plans: every rule of the lifecycle refused in Chinese when unmet, the panel's grants,
and one audit event per step. Service level; the screens are tested elsewhere."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from accounts.models import Membership, User
from accounts.roles import Role
from accounts.services import membership_change_role
from certify.models import AssessmentPlan, PlanAssessor, PlanUserObjectPermission, WorkType
from certify.permissions import can_score_plan
from certify.services import calendar
from certify.services.enrolments import enrolment_register
from certify.services.filings import filing_suspend
from certify.services.plans import (
    assessor_add,
    assessor_remove,
    filing_checks,
    plan_approve_results,
    plan_assign_supervisor,
    plan_begin_scoring,
    plan_cancel,
    plan_close,
    plan_file,
    plan_start,
    plan_start_publicity,
    plan_update,
    recusal_declare,
    supervision_report_submit,
)
from certify.services.scoring import score_submit
from certify.services.standards import (
    standard_retire,
)
from tests import factories
from tests.builders import (
    S,
    add_panel,
    declare_all,
    make_level2_plan,
    make_plan,
    messages,
    publish_with_direct_grading,
    register_all,
)
from tests.helpers import assert_one_event
from tests.workflow import candidate, candidate_ids, occ, score_everyone

pytestmark = pytest.mark.django_db


# --- helpers shared with the other workflow test files ----------------------------------------


def file_refused(world, plan, today, *texts) -> str:
    with pytest.raises(ValidationError) as caught:
        plan_file(actor=world.a_operator, plan=plan, today=today)
    text = messages(caught)
    assert caught.value.messages[0] == "评价计划暂不能报备："
    for expected in texts:
        assert expected in text, text
    plan.refresh_from_db()
    assert plan.status == S.DRAFT
    return text


def fresh(user) -> User:
    """The user re-read, so no permission cached on the object hides a grant or a withdrawal."""
    return User.objects.get(pk=user.pk)


def holds_score_grant(user, plan) -> bool:
    return PlanUserObjectPermission.objects.filter(
        user=user, content_object=plan, permission__codename="score_plan"
    ).exists()


# --- filing: what the plan may be filed with ------------------------------------------------------
def test_a_ready_plan_is_filed_against_the_covering_filing(world, ready_plan, filings, today, audit_probe):
    probe = audit_probe()
    plan = plan_file(actor=world.a_operator, plan=ready_plan, today=today)
    event = assert_one_event(probe, event_type="plan.filed", actor=world.a_operator, organization=world.org_a)
    assert plan.status == S.FILED
    assert plan.filing == filings[0]
    assert plan.filed_by == world.a_operator
    assert plan.filed_lead_days == 10
    assert event.data["filing"] == "东人社评备〔2025〕001号"
    assert event.data["candidates"] == 4


def test_filing_is_refused_when_the_filing_has_expired_on_the_exam_date(world, ready_plan, filings, today):
    filing_a, _ = filings
    # No service sets such a date any more (the creation gate below); a plan saved before that gate
    # existed still meets the same check when it is filed.
    from audit.history import bulk_update_audited

    ready_plan.exam_date = filing_a.valid_until + dt.timedelta(days=1)
    bulk_update_audited(AssessmentPlan, [ready_plan], ["exam_date"], actor=world.a_operator, reason="older data")
    file_refused(
        world,
        ready_plan,
        today,
        f"备案 东人社评备〔2025〕001号 已于 {filing_a.valid_until.isoformat()} 到期",
        "不能开展评价；请先办理备案续期。",
    )


def test_filing_is_refused_while_the_filing_is_suspended(world, ready_plan, filings, today):
    filing_suspend(actor=world.bureau_admin, filing=filings[0], reason="年度未开展评价")
    day = ready_plan.exam_date.isoformat()
    file_refused(world, ready_plan, today, f"备案 东人社评备〔2025〕001号 已被暂停（年度未开展评价），{day} 在暂停期间")


def test_the_filing_check_names_a_subject_outside_the_filed_scope(world, ready_plan, today):
    # Drafting a standard already requires the scope, so no service can produce such a plan; the
    # check itself is exercised on an unsaved change of the plan's 工种 and level.
    ready_plan.occupation = occ("6-31-01-03")
    ready_plan.work_type = WorkType.objects.create(occupation=ready_plan.occupation, name="内线电工")
    outside = filing_checks(ready_plan, today)[0]
    assert not outside.ok
    assert outside.text == "本机构的备案范围不包括「电工（内线电工）」，请先向人社局申请备案。"
    ready_plan.occupation, ready_plan.work_type, ready_plan.level = occ("6-18-01-01"), None, 2
    level = filing_checks(ready_plan, today)[0]
    assert not level.ok
    assert "不包括二级/技师" in level.text


def test_filing_is_refused_when_the_standard_was_retired_after_the_plan_was_drafted(
    world, ready_plan, published, today
):
    standard_retire(actor=world.a_operator, version=published, reason="工艺标准更新")
    file_refused(world, ready_plan, today, "依据已发布的评价规范：甲机械数控车工企业评价规范（第 1 版）")


def test_filing_is_refused_one_working_day_short_of_the_lead_and_accepted_on_it(world, ready_plan, today):
    plan_update(actor=world.a_operator, plan=ready_plan, exam_date=calendar.add_working_days(today, 4))
    earliest = calendar.add_working_days(today, 5)
    file_refused(world, ready_plan, today, f"考核日期至少在报备之日起 5 个工作日之后（最早 {earliest.isoformat()}）")
    plan_update(actor=world.a_operator, plan=ready_plan, exam_date=earliest)
    plan = plan_file(actor=world.a_operator, plan=ready_plan, today=today)
    assert plan.status == S.FILED
    assert plan.filed_lead_days == 5


def test_the_lead_time_follows_the_setting(world, ready_plan, today):
    plan_update(actor=world.a_operator, plan=ready_plan, exam_date=calendar.add_working_days(today, 5))
    with override_settings(SKILLCERT_PLAN_LEAD_WORKING_DAYS=8):
        file_refused(world, ready_plan, today, "考核日期至少在报备之日起 8 个工作日之后")
    plan_update(actor=world.a_operator, plan=ready_plan, exam_date=calendar.add_working_days(today, 3))
    file_refused(world, ready_plan, today, "考核日期至少在报备之日起 5 个工作日之后")
    with override_settings(SKILLCERT_PLAN_LEAD_WORKING_DAYS=3):
        assert plan_file(actor=world.a_operator, plan=ready_plan, today=today).status == S.FILED


# --- filing: the panel ---------------------------------------------------------------------------
def test_filing_is_refused_with_fewer_practical_assessors_than_the_minimum(world, plan_factory, assessors, today):
    plan = plan_factory()
    register_all(world, plan, ["张伟", "王芳"])
    add_panel(world, plan, practical=assessors[:1], theory=assessors[3:5])
    declare_all(plan)
    file_refused(world, plan, today, "操作技能考评员不少于 3 人（2 名考生，每名考评员不超过 5 人），现有 1 人")


def test_sixteen_candidates_need_four_assessors_and_four_being_even_need_five(world, plan_factory, assessors, today):
    plan = plan_factory()
    register_all(world, plan, [f"考生{i:02d}" for i in range(16)], start=100)
    add_panel(world, plan, practical=assessors[:3], theory=assessors[:2])
    declare_all(plan)
    text = file_refused(world, plan, today, "操作技能考评员不少于 4 人（16 名考生，每名考评员不超过 5 人），现有 3 人")
    assert "奇数" not in text
    add_panel(world, plan, practical=assessors[3:4])
    declare_all(plan)
    text = file_refused(world, plan, today, "操作技能考评组人数须为奇数，现有 4 人")
    assert "不少于 4 人" not in text
    add_panel(world, plan, practical=assessors[4:5])
    declare_all(plan)
    assert plan_file(actor=world.a_operator, plan=plan, today=today).status == S.FILED


def test_each_theory_room_needs_its_own_invigilators(world, ready_plan, today):
    plan_update(actor=world.a_operator, plan=ready_plan, theory_rooms=2)
    file_refused(world, ready_plan, today, "理论考试监考人员不少于 4 人（2 个考场、4 名考生），现有 2 人")


def test_level_two_is_refused_unless_practical_and_review_assessors_are_senior(world, assessors, filings, today):
    plan = make_level2_plan(world, assessors, today, grade="assessor")
    text = file_refused(world, plan, today, "二级/技师须由高级考评员评价：")
    for member in PlanAssessor.objects.filter(plan=plan, duty__in=["practical", "review"]).select_related("user"):
        assert member.user.get_full_name() in text
    for member in PlanAssessor.objects.filter(plan=plan).exclude(duty="theory"):
        assessor_remove(actor=world.a_operator, assessor=member)
    add_panel(world, plan, practical=assessors[:3], review=assessors[2:5], grade="senior")
    declare_all(plan)
    assert plan_file(actor=world.a_operator, plan=plan, today=today).status == S.FILED


def test_level_two_needs_an_odd_review_panel_of_at_least_three(world, assessors, filings, today):
    plan = make_level2_plan(world, assessors, today)
    review = list(PlanAssessor.objects.filter(plan=plan, duty="review"))
    assessor_remove(actor=world.a_operator, assessor=review[0])
    file_refused(world, plan, today, "综合评审组不少于 3 人，现有 2 人", "综合评审组人数须为奇数，现有 2 人")


# --- filing: declarations and candidates ----------------------------------------------------------
def test_filing_is_refused_until_every_assessor_has_declared(world, plan_factory, assessors, today):
    plan = plan_factory()
    register_all(world, plan, ["张伟"])
    members = add_panel(world, plan, practical=assessors[:3], theory=assessors[3:5])
    for member in members[1:]:
        recusal_declare(actor=member.user, assessor=member, relations=[])
    file_refused(world, plan, today, f"每名考评人员已提交回避声明（尚未提交：{members[0].user.get_full_name()}）")


def test_only_the_assessor_may_declare_for_themselves(world, ready_plan):
    member = PlanAssessor.objects.filter(plan=ready_plan).first()
    with pytest.raises(ValidationError) as caught:
        recusal_declare(actor=world.a_operator, assessor=member, relations=[])
    assert messages(caught) == "回避声明须由考评人员本人提交"


def test_registering_a_candidate_voids_every_earlier_declaration(world, ready_plan, today):
    assert not PlanAssessor.objects.filter(plan=ready_plan, declared_at__isnull=True).exists()
    register_all(world, ready_plan, ["周杰"], start=40)
    assert not PlanAssessor.objects.filter(plan=ready_plan, declared_at__isnull=False).exists()
    file_refused(world, ready_plan, today, "每名考评人员已提交回避声明（尚未提交：")
    declare_all(ready_plan)
    assert plan_file(actor=world.a_operator, plan=ready_plan, today=today).status == S.FILED


def test_filing_is_refused_without_any_candidate(world, plan_factory, assessors, today):
    plan = plan_factory()
    add_panel(world, plan, practical=assessors[:3], theory=assessors[3:5])
    declare_all(plan)
    file_refused(world, plan, today, "已登记考生（现有 0 名）")


@pytest.fixture
def direct_version(world, draft):
    return publish_with_direct_grading(world, draft)


def test_filing_is_refused_while_a_direct_grading_awaits_its_second_approval(world, direct_version, assessors, today):
    plan = make_plan(
        world, direct_version, level=4, exam_date=calendar.add_working_days(today, 10), allow_direct_grading=True
    )
    register_all(world, plan, ["张伟"])
    enrolment_register(
        actor=world.a_operator,
        plan=plan,
        data=candidate(
            "黄磊", candidate_ids(1, start=60)[0], route="direct", direct_justification="省技能大赛数控车项目二等奖"
        ),
    )
    add_panel(world, plan, practical=assessors[:3], theory=assessors[3:5])
    declare_all(plan)
    file_refused(world, plan, today, "全部考生符合申报条件或定级申报已获批准（未通过：黄磊）")


def test_every_unmet_rule_is_listed_at_once(world, plan_factory, today):
    plan = plan_factory(exam_date=calendar.add_working_days(today, 2))
    text = file_refused(
        world, plan, today, "考核日期至少在报备之日起", "已登记考生（现有 0 名）", "操作技能考评员不少于 3 人"
    )
    assert "理论考试监考人员不少于 2 人" in text


def test_plan_contents_cannot_change_once_filed(world, ready_plan, today):
    plan_file(actor=world.a_operator, plan=ready_plan, today=today)
    with pytest.raises(ValidationError) as caught:
        plan_update(actor=world.a_operator, plan=ready_plan, venue="三号厂房")
    assert messages(caught) == "评价计划当前为「已报备」，不能修改（报备后计划内容不能再改）。"


# --- later transitions -----------------------------------------------------------------------
def test_the_exam_cannot_start_before_the_exam_date(world, ready_plan, today):
    plan_file(actor=world.a_operator, plan=ready_plan, today=today)
    day_before = ready_plan.exam_date - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        plan_start(actor=world.a_operator, plan=ready_plan, today=day_before)
    assert messages(caught) == f"考核日期为 {ready_plan.exam_date.isoformat()}，当天起才能开始考核"
    ready_plan.refresh_from_db()
    assert ready_plan.status == S.FILED


def test_the_exam_cannot_start_when_the_filing_was_suspended_after_the_plan_was_filed(
    world, ready_plan, filings, today
):
    plan_file(actor=world.a_operator, plan=ready_plan, today=today)
    filing_suspend(actor=world.bureau_admin, filing=filings[0], reason="督导发现违规")
    with pytest.raises(ValidationError) as caught:
        plan_start(actor=world.a_operator, plan=ready_plan, today=ready_plan.exam_date)
    day = ready_plan.exam_date.isoformat()
    assert (
        messages(caught) == f"备案 东人社评备〔2025〕001号 已被暂停（督导发现违规），{day} 在暂停期间，不能开展评价。"
    )
    ready_plan.refresh_from_db()
    assert ready_plan.status == S.FILED


def test_results_cannot_be_approved_by_someone_who_entered_scores_in_the_plan(world, scoring_plan):
    score_everyone(scoring_plan, dict.fromkeys(["张伟", "王芳", "李娜", "刘洋"], (80, 80)))
    membership = Membership.objects.get(user=world.a_assessor, organization=world.org_a)
    membership_change_role(actor=world.a_org_admin, membership=membership, role=Role.REVIEWER)
    with pytest.raises(ValidationError) as caught:
        plan_approve_results(actor=fresh(world.a_assessor), plan=scoring_plan)
    assert caught.value.messages == ["评价结果暂不能审核：", "审核人未参与本计划评分（录入过成绩的人不能审核）"]
    scoring_plan.refresh_from_db()
    assert scoring_plan.status == S.SCORING


def test_results_cannot_be_approved_while_a_candidate_lacks_scores(world, scoring_plan):
    lacking = scoring_plan.enrolments.get(person__name="刘洋")
    for enrolment in scoring_plan.enrolments.exclude(pk=lacking.pk):
        for member in PlanAssessor.objects.filter(plan=scoring_plan, duty="practical"):
            score_submit(actor=member.user, enrolment=enrolment, component="practical", value=80)
    with pytest.raises(ValidationError) as caught:
        plan_approve_results(actor=world.a_reviewer, plan=scoring_plan)
    assert "全部考生成绩齐全（尚缺 4 人）" in messages(caught)
    marker = PlanAssessor.objects.filter(plan=scoring_plan, duty="theory").first().user
    for enrolment in scoring_plan.enrolments.exclude(pk=lacking.pk):
        score_submit(actor=marker, enrolment=enrolment, component="theory", value=80)
    with pytest.raises(ValidationError) as caught:
        plan_approve_results(actor=world.a_reviewer, plan=scoring_plan)
    assert "全部考生成绩齐全（尚缺 1 人）" in messages(caught)


@pytest.mark.parametrize("who", ["a_viewer", "a_operator", "a_assessor", "b_org_admin"])
def test_only_a_reviewer_of_the_organisation_may_approve_results(world, scoring_plan, who):
    score_everyone(scoring_plan, dict.fromkeys(["张伟", "王芳", "李娜", "刘洋"], (80, 80)))
    with pytest.raises(PermissionDenied, match="只有审核人可以审核评价结果"):
        plan_approve_results(actor=getattr(world, who), plan=scoring_plan)
    scoring_plan.refresh_from_db()
    assert scoring_plan.status == S.SCORING


def test_publicity_cannot_start_before_the_results_are_approved(world, scoring_plan, today):
    with pytest.raises(ValidationError) as caught:
        plan_start_publicity(actor=world.a_operator, plan=scoring_plan, today=today)
    assert messages(caught) == "评价计划当前为「评分」，不能发布公示。"


def test_the_plan_cannot_close_before_the_publicity_period_has_ended(world, scoring_plan, today):
    score_everyone(scoring_plan, dict.fromkeys(["张伟", "王芳", "李娜", "刘洋"], (80, 80)))
    plan_approve_results(actor=world.a_reviewer, plan=scoring_plan)
    plan = plan_start_publicity(actor=world.a_operator, plan=scoring_plan, today=scoring_plan.exam_date)
    with pytest.raises(ValidationError) as caught:
        plan_close(actor=world.a_operator, plan=plan, today=plan.publicity_end)
    assert caught.value.messages == ["评价计划暂不能结束：", f"公示期已届满（截止 {plan.publicity_end.isoformat()}）"]
    closed = plan_close(actor=world.a_operator, plan=plan, today=plan.publicity_end + dt.timedelta(days=1))
    assert closed.status == S.CLOSED


def test_cancelling_needs_a_reason(world, ready_plan):
    with pytest.raises(ValidationError) as caught:
        plan_cancel(actor=world.a_operator, plan=ready_plan, reason="  ")
    assert messages(caught) == "取消评价计划须填写原因"
    ready_plan.refresh_from_db()
    assert ready_plan.status == S.DRAFT


def test_a_plan_with_approved_results_cannot_be_cancelled(world, scoring_plan):
    score_everyone(scoring_plan, dict.fromkeys(["张伟", "王芳", "李娜", "刘洋"], (80, 80)))
    plan_approve_results(actor=world.a_reviewer, plan=scoring_plan)
    with pytest.raises(ValidationError) as caught:
        plan_cancel(actor=world.a_operator, plan=scoring_plan, reason="设备故障")
    assert messages(caught) == "评价计划当前为「结果已审核」，不能取消（已审核结果的计划不能取消）。"


def test_a_viewer_cannot_drive_the_plan(world, ready_plan, today):
    with pytest.raises(PermissionDenied):
        plan_file(actor=world.a_viewer, plan=ready_plan, today=today)
    with pytest.raises(PermissionDenied):
        plan_cancel(actor=world.b_operator, plan=ready_plan, reason="不是本机构的计划")


# --- the panel and its grants ------------------------------------------------------------------
def test_only_assessors_of_the_organisation_join_the_panel(world, plan_factory):
    plan = plan_factory()
    outsider = factories.member(world.org_b, Role.ASSESSOR, actor=world.bureau_admin, username="b_assessor")
    for user in (world.a_viewer, outsider):
        with pytest.raises(ValidationError) as caught:
            assessor_add(actor=world.a_operator, plan=plan, user=user, duty="practical", grade="assessor")
        assert messages(caught) == "只能指派本机构角色为「考评员」的成员"
    assert not PlanAssessor.objects.filter(plan=plan).exists()


def test_an_assigned_assessor_gets_the_scoring_grant_and_loses_it_on_removal(world, plan_factory):
    plan = plan_factory()
    assert not can_score_plan(fresh(world.a_assessor), plan)
    practical = assessor_add(actor=world.a_operator, plan=plan, user=world.a_assessor, duty="practical", grade="senior")
    theory = assessor_add(actor=world.a_operator, plan=plan, user=world.a_assessor, duty="theory", grade="assessor")
    assert holds_score_grant(world.a_assessor, plan)
    assert can_score_plan(fresh(world.a_assessor), plan)
    assessor_remove(actor=world.a_operator, assessor=practical)
    assert can_score_plan(fresh(world.a_assessor), plan), "still on the panel for theory"
    assessor_remove(actor=world.a_operator, assessor=theory)
    assert not holds_score_grant(world.a_assessor, plan)
    assert not can_score_plan(fresh(world.a_assessor), plan)


def test_cancelling_a_plan_withdraws_every_scoring_grant(world, ready_plan, audit_probe):
    members = list(PlanAssessor.objects.filter(plan=ready_plan).select_related("user"))
    assert all(holds_score_grant(m.user, ready_plan) for m in members)
    probe = audit_probe()
    plan = plan_cancel(actor=world.a_operator, plan=ready_plan, reason="订单激增，车间停考")
    event = assert_one_event(probe, event_type="plan.cancelled", actor=world.a_operator, organization=world.org_a)
    assert event.reason == "订单激增，车间停考"
    assert plan.status == S.CANCELLED and plan.cancel_reason == "订单激增，车间停考"
    assert not any(holds_score_grant(m.user, ready_plan) for m in members)
    assert not any(can_score_plan(fresh(m.user), ready_plan) for m in members)


def test_the_panel_is_locked_once_filed(world, ready_plan, today):
    plan_file(actor=world.a_operator, plan=ready_plan, today=today)
    member = PlanAssessor.objects.filter(plan=ready_plan).first()
    with pytest.raises(ValidationError, match="不能调整考评人员"):
        assessor_remove(actor=world.a_operator, assessor=member)
    with pytest.raises(ValidationError, match="报备后名单已锁定"):
        recusal_declare(actor=member.user, assessor=member, relations=[])


# --- one audit event per step ------------------------------------------------------------------
def test_every_plan_step_writes_exactly_one_event_with_its_actor_and_organisation(
    world, published, assessors, today, audit_probe
):
    org = world.org_a

    def step(event_type, actor, call):
        probe = audit_probe()
        result = call()
        assert_one_event(probe, event_type=event_type, actor=actor, organization=org)
        return result

    plan = step(
        "plan.created",
        world.a_operator,
        lambda: make_plan(world, published, level=4, exam_date=calendar.add_working_days(today, 10)),
    )
    step("plan.updated", world.a_operator, lambda: plan_update(actor=world.a_operator, plan=plan, contact="0769-2233"))
    step("enrolment.registered", world.a_operator, lambda: register_all(world, plan, ["张伟"]))
    members = [
        step(
            "plan.assessor_added",
            world.a_operator,
            lambda user=user, duty=duty: assessor_add(
                actor=world.a_operator, plan=plan, user=user, duty=duty, grade="assessor"
            ),
        )
        for user, duty in [*((u, "practical") for u in assessors[:4]), *((u, "theory") for u in assessors[3:5])]
    ]
    step(
        "plan.assessor_removed", world.a_operator, lambda: assessor_remove(actor=world.a_operator, assessor=members[0])
    )
    for member in members[1:]:
        step(
            "plan.recusal_declared",
            member.user,
            lambda member=member: recusal_declare(actor=member.user, assessor=member, relations=[]),
        )
    step("plan.filed", world.a_operator, lambda: plan_file(actor=world.a_operator, plan=plan, today=today))
    step(
        "plan.supervisor_assigned",
        world.bureau_admin,
        lambda: plan_assign_supervisor(actor=world.bureau_admin, plan=plan, supervisor=world.supervisor),
    )
    step("plan.started", world.a_operator, lambda: plan_start(actor=world.a_operator, plan=plan, today=plan.exam_date))
    step(
        "plan.supervision_reported",
        world.supervisor,
        lambda: supervision_report_submit(
            actor=world.supervisor,
            plan=plan,
            visited_on=plan.exam_date,
            attended=True,
            attendance="应到 1 人，实到 1 人",
            observations="考场秩序良好，考评员按评分表独立评分",
        ),
    )
    step("plan.scoring_started", world.a_operator, lambda: plan_begin_scoring(actor=world.a_operator, plan=plan))
    score_everyone(plan, {"张伟": (75, 82)})
    step("plan.results_approved", world.a_reviewer, lambda: plan_approve_results(actor=world.a_reviewer, plan=plan))
    plan = step(
        "plan.publicity_started",
        world.a_operator,
        lambda: plan_start_publicity(actor=world.a_operator, plan=plan, today=plan.exam_date),
    )
    after = plan.publicity_end + dt.timedelta(days=1)
    step("plan.closed", world.a_operator, lambda: plan_close(actor=world.a_operator, plan=plan, today=after))
    plan.refresh_from_db()
    assert plan.status == S.CLOSED
