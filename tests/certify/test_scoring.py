"""Scores and results: who may score, the 0–100 scale, finality and reasoned corrections, and the
standard's rules (pass marks, review for 技师, absence, disqualification, panel means)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import Role
from audit.models import AuditEvent
from certify.models import PlanAssessor, Result, Score, ScoreFinalError
from certify.services import calendar
from certify.services.plans import (
    plan_approve_results,
    plan_close,
    plan_start_publicity,
    recusal_declare,
)
from certify.services.scoring import score_correct, score_submit
from certify.services.standards import standard_level_update, standard_new_version, standard_publish
from tests import factories
from tests.builders import (
    add_panel,
    declare_all,
    make_level2_plan,
    make_plan,
    messages,
    more_practical_assessors,
    register_all,
    to_scoring,
)
from tests.helpers import assert_one_event
from tests.workflow import score_everyone

pytestmark = pytest.mark.django_db

NAMES = ["张伟", "王芳", "李娜", "刘洋"]
SUBSCORES = ["个人素质", "工作业绩", "创新能力"]


def panel(plan, duty: str) -> list:
    return [m.user for m in PlanAssessor.objects.filter(plan=plan, duty=duty).select_related("user").order_by("pk")]


def enrolment_of(plan, name: str):
    return plan.enrolments.select_related("person").get(person__name=name)


def result_of(plan, name: str) -> Result:
    return Result.objects.get(enrolment=enrolment_of(plan, name))


def submit(user, enrolment, component: str, value=None, **extra) -> Score:
    return score_submit(actor=user, enrolment=enrolment, component=component, value=value, **extra)


def score_practical(plan, name: str, *values) -> None:
    enrolment = enrolment_of(plan, name)
    for user, value in zip(panel(plan, "practical"), values, strict=True):
        submit(user, enrolment, "practical", value)


def score_review(plan, name: str, by_assessor: list[tuple]) -> None:
    enrolment = enrolment_of(plan, name)
    for user, values in zip(panel(plan, "review"), by_assessor, strict=True):
        for subscore, value in zip(SUBSCORES, values, strict=True):
            submit(user, enrolment, "review", value, subscore=subscore)


# --- who may score --------------------------------------------------------------------------
def test_only_assessors_assigned_to_the_plan_may_score(world, scoring_plan):
    other_org = factories.member(world.org_b, Role.ASSESSOR, actor=world.bureau_admin, username="b_assessor")
    unassigned = factories.member(world.org_a, Role.ASSESSOR, actor=world.bureau_admin, username="a_assessor9")
    enrolment = enrolment_of(scoring_plan, "张伟")
    for user in (other_org, unassigned, world.a_operator, world.a_reviewer, world.a_org_admin):
        with pytest.raises(PermissionDenied, match="只有被指派到本计划的考评员可以录入成绩"):
            submit(user, enrolment, "practical", 80)
    assert not Score.objects.exists()


def test_an_assessor_scores_only_the_components_of_their_duty(world, scoring_plan):
    invigilator = panel(scoring_plan, "theory")[0]
    enrolment = enrolment_of(scoring_plan, "张伟")
    with pytest.raises(ValidationError) as caught:
        submit(invigilator, enrolment, "practical", 80)
    assert caught.value.message_dict == {"component": ["您在本计划中不承担「操作技能」评分"]}
    with pytest.raises(ValidationError) as caught:
        submit(invigilator, enrolment, "review", 80)
    assert caught.value.message_dict == {"component": ["本计划的评价规范不含该考核项目"]}


def test_no_score_is_taken_outside_the_scoring_stage(world, ready_plan, today):
    from certify.services.plans import plan_file

    plan_file(actor=world.a_operator, plan=ready_plan, today=today)
    user = panel(ready_plan, "practical")[0]
    with pytest.raises(ValidationError) as caught:
        submit(user, enrolment_of(ready_plan, "张伟"), "practical", 80)
    assert messages(caught) == "评价计划不在评分阶段，不能录入成绩"


def test_an_assessor_never_scores_a_candidate_they_declared_a_relation_with(world, ready_plan, today):
    member = PlanAssessor.objects.filter(plan=ready_plan, duty="practical").order_by("pk").first()
    cousin = enrolment_of(ready_plan, "张伟")
    recusal_declare(actor=member.user, assessor=member, relations=[(cousin, "relative", "表兄弟")])
    more_practical_assessors(world, ready_plan)  # 张伟 keeps a panel of 4 (issue 12: at least 3)
    plan = to_scoring(world, ready_plan, today=today)
    with pytest.raises(ValidationError) as caught:
        submit(member.user, cousin, "practical", 90)
    assert messages(caught) == "您已声明与该考生存在回避关系，不能为其评分"
    # The candidate's practical score comes from the rest of the panel, without waiting for the recused one.
    for user in panel(plan, "practical")[1:]:
        submit(user, cousin, "practical", 70)
    submit(panel(plan, "theory")[0], cousin, "theory", 75)
    result = result_of(plan, "张伟")
    assert (result.outcome, result.practical, result.theory) == (Result.Outcome.PASS, Decimal("70.0"), Decimal("75.0"))


# --- the scale and finality -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("100.1", "成绩应在 0–100 之间"),
        (-1, "成绩应在 0–100 之间"),
        ("85.55", "成绩最多保留 1 位小数"),
        ("八十", "成绩应为 0–100 的数字"),
    ],
)
def test_a_score_outside_0_to_100_or_with_two_decimals_is_refused(world, scoring_plan, value, message):
    user = panel(scoring_plan, "practical")[0]
    with pytest.raises(ValidationError) as caught:
        submit(user, enrolment_of(scoring_plan, "张伟"), "practical", value)
    assert caught.value.message_dict == {"value": [message]}
    assert not Score.objects.exists()


def test_scores_with_one_decimal_and_the_ends_of_the_scale_are_taken(world, scoring_plan):
    user = panel(scoring_plan, "practical")[0]
    taken = [
        submit(user, enrolment_of(scoring_plan, name), "practical", value)
        for name, value in (("张伟", "85.5"), ("王芳", 0), ("李娜", 100), ("刘洋", 85.5))
    ]
    assert [s.value for s in taken] == [Decimal("85.5"), Decimal("0.0"), Decimal("100.0"), Decimal("85.5")]


def test_a_second_submission_of_the_same_score_is_refused(world, scoring_plan):
    user = panel(scoring_plan, "practical")[0]
    enrolment = enrolment_of(scoring_plan, "张伟")
    submit(user, enrolment, "practical", 80)
    with pytest.raises(ValidationError) as caught:
        submit(user, enrolment, "practical", 85)
    assert messages(caught) == "您已提交过该项成绩；成绩提交后不能修改，如有错误请提交更正并说明原因"
    assert list(Score.objects.values_list("value", flat=True)) == [Decimal("80.0")]


def test_a_submitted_score_cannot_be_saved_again_updated_or_deleted(world, scoring_plan):
    score = submit(panel(scoring_plan, "practical")[0], enrolment_of(scoring_plan, "张伟"), "practical", 80)
    score.value = Decimal("95")
    with pytest.raises(ScoreFinalError):
        score.save()
    with pytest.raises(ScoreFinalError):
        score.delete()
    with pytest.raises(ScoreFinalError):
        Score.objects.filter(pk=score.pk).update(value=Decimal("95"))
    with pytest.raises(ScoreFinalError):
        Score.objects.filter(pk=score.pk).delete()
    assert Score.objects.get(pk=score.pk).value == Decimal("80.0")


def test_submitting_writes_one_event_for_the_assessor(world, scoring_plan, audit_probe):
    user = panel(scoring_plan, "practical")[0]
    probe = audit_probe()
    score = submit(user, enrolment_of(scoring_plan, "张伟"), "practical", "72.5")
    event = assert_one_event(probe, event_type="score.submitted", actor=user, organization=world.org_a)
    assert event.target_id == str(score.pk)
    assert event.data["value"] == "72.5" and event.data["component"] == "practical"


# --- corrections ----------------------------------------------------------------------------
def test_a_correction_is_a_new_record_pointing_at_the_one_it_replaces(world, scoring_plan, audit_probe):
    user = panel(scoring_plan, "practical")[0]
    enrolment = enrolment_of(scoring_plan, "张伟")
    original = submit(user, enrolment, "practical", 58)
    probe = audit_probe()
    correction = score_correct(actor=user, score=original, value=68, reason="录入时看错评分表，应为 68 分")
    event = assert_one_event(probe, event_type="score.corrected", actor=user, organization=world.org_a)
    assert correction.pk != original.pk
    assert correction.replaces == original
    assert correction.reason == "录入时看错评分表，应为 68 分"
    assert Score.objects.get(pk=original.pk).value == Decimal("58.0"), "the original stays as it was"
    assert event.reason == "录入时看错评分表，应为 68 分"
    assert event.data["replaces"] == original.pk
    assert event.data["changes"]["value"] == ["58.0", "68.0"]


def test_a_correction_needs_a_reason(world, scoring_plan):
    user = panel(scoring_plan, "practical")[0]
    original = submit(user, enrolment_of(scoring_plan, "张伟"), "practical", 58)
    with pytest.raises(ValidationError) as caught:
        score_correct(actor=user, score=original, value=68, reason="   ")
    assert caught.value.message_dict == {"reason": ["更正成绩须写明原因"]}
    assert Score.objects.count() == 1


def test_only_the_assessor_who_gave_a_score_may_correct_it(world, scoring_plan):
    first, second, _third = panel(scoring_plan, "practical")
    original = submit(first, enrolment_of(scoring_plan, "张伟"), "practical", 58)
    for other in (second, world.a_operator, world.a_reviewer):
        with pytest.raises(ValidationError) as caught:
            score_correct(actor=other, score=original, value=68, reason="代为更正")
        assert messages(caught) == "只能由原评分的考评员更正自己的成绩"
    assert Score.objects.count() == 1


def test_each_record_is_corrected_only_once(world, scoring_plan):
    user = panel(scoring_plan, "practical")[0]
    original = submit(user, enrolment_of(scoring_plan, "张伟"), "practical", 58)
    correction = score_correct(actor=user, score=original, value=68, reason="看错评分表")
    with pytest.raises(ValidationError) as caught:
        score_correct(actor=user, score=original, value=78, reason="再次更正")
    assert messages(caught) == "该成绩已被更正过，请在最新的记录上更正"
    again = score_correct(actor=user, score=correction, value=66, reason="复核评分表后更正")
    assert again.replaces == correction


def test_after_approval_a_correction_needs_an_open_objection(world, scoring_plan):
    score_everyone(scoring_plan, dict.fromkeys(NAMES, (80, 80)))
    plan_approve_results(actor=world.a_reviewer, plan=scoring_plan)
    user = panel(scoring_plan, "practical")[0]
    score = Score.objects.filter(assessor=user).first()
    with pytest.raises(ValidationError) as caught:
        score_correct(actor=user, score=score, value=70, reason="复核发现多加了 10 分")
    assert messages(caught) == "结果审核后，成绩只能依据公示期内受理的异议更正"
    plan = plan_start_publicity(actor=world.a_operator, plan=scoring_plan, today=scoring_plan.exam_date)
    with pytest.raises(ValidationError, match="只能依据公示期内受理的异议更正"):
        score_correct(actor=user, score=score, value=70, reason="复核发现多加了 10 分")
    plan_close(actor=world.a_operator, plan=plan, today=calendar.add_working_days(plan.publicity_end, 1))
    with pytest.raises(ValidationError) as caught:
        score_correct(actor=user, score=score, value=70, reason="复核发现多加了 10 分")
    assert messages(caught) == "评价计划当前阶段不能更正成绩"
    assert Score.objects.filter(replaces__isnull=False).count() == 0


def test_the_plan_history_shows_every_correction_and_its_reason(world, scoring_plan):
    user = panel(scoring_plan, "practical")[0]
    enrolment = enrolment_of(scoring_plan, "张伟")
    first = submit(user, enrolment, "practical", 58)
    second = score_correct(actor=user, score=first, value=68, reason="看错评分表")
    third = score_correct(actor=user, score=second, value=66, reason="复核后扣除安全文明分 2 分")
    rows = list(Score.objects.filter(plan=scoring_plan, enrolment=enrolment, assessor=user).order_by("pk"))
    assert [(s.value, s.replaces_id, s.reason) for s in rows] == [
        (Decimal("58.0"), None, ""),
        (Decimal("68.0"), first.pk, "看错评分表"),
        (Decimal("66.0"), second.pk, "复核后扣除安全文明分 2 分"),
    ]
    assert list(Score.objects.filter(plan=scoring_plan, replaced_by__isnull=True, assessor=user)) == [third]
    events = AuditEvent.objects.filter(organization=world.org_a, event_type__startswith="score.").order_by("seq")
    assert [(e.event_type, e.target_id, e.reason) for e in events] == [
        ("score.submitted", str(first.pk), ""),
        ("score.corrected", str(second.pk), "看错评分表"),
        ("score.corrected", str(third.pk), "复核后扣除安全文明分 2 分"),
    ]
    history = Score.history.filter(plan=scoring_plan).order_by("history_id")
    assert [h.history_change_reason for h in history] == [None, "看错评分表", "复核后扣除安全文明分 2 分"]


# --- results --------------------------------------------------------------------------------
def test_each_component_passes_at_its_mark_and_fails_a_tenth_below(world, scoring_plan):
    score_everyone(
        scoring_plan,
        {"张伟": (60, 60), "王芳": ("59.9", 80), "李娜": (80, "59.9"), "刘洋": ("59.9", "59.9")},
    )
    outcomes = {name: (result_of(scoring_plan, name).outcome, result_of(scoring_plan, name).detail) for name in NAMES}
    assert outcomes == {
        "张伟": (Result.Outcome.PASS, ""),
        "王芳": (Result.Outcome.FAIL, "未达合格线：理论知识"),
        "李娜": (Result.Outcome.FAIL, "未达合格线：操作技能"),
        "刘洋": (Result.Outcome.FAIL, "未达合格线：理论知识、操作技能"),
    }


def test_a_result_waits_for_every_assessor_of_the_panel(world, scoring_plan):
    first, second, _third = panel(scoring_plan, "practical")
    enrolment = enrolment_of(scoring_plan, "张伟")
    submit(panel(scoring_plan, "theory")[0], enrolment, "theory", 80)
    submit(first, enrolment, "practical", 80)
    submit(second, enrolment, "practical", 80)
    result = result_of(scoring_plan, "张伟")
    assert (result.outcome, result.detail, result.practical) == (Result.Outcome.INCOMPLETE, "尚缺成绩：操作技能", None)


def test_the_practical_score_is_the_panel_mean_rounded_to_one_decimal(world, scoring_plan):
    score_practical(scoring_plan, "张伟", 70, "70.1", "70.1")
    score_practical(scoring_plan, "王芳", 60, 60, "60.1")
    assert result_of(scoring_plan, "张伟").practical == Decimal("70.1")  # 70.0667
    assert result_of(scoring_plan, "王芳").practical == Decimal("60.0")  # 60.0333


def test_an_exact_half_rounds_up(world, published, assessors, today):
    # A panel of two is needed for a mean ending in .x5: a new version of the standard allows even panels.
    draft = standard_new_version(actor=world.a_operator, version=published)
    standard_level_update(
        actor=world.a_operator, level=draft.levels.get(level=4), require_odd_panel=False, min_practical_assessors=2
    )
    version = standard_publish(actor=world.a_operator, version=draft)
    plan = make_plan(world, version, level=4, exam_date=calendar.add_working_days(today, 10))
    register_all(world, plan, ["张伟"])
    add_panel(world, plan, practical=assessors[:2], theory=assessors[3:5])
    declare_all(plan)
    plan = to_scoring(world, plan, today=today)
    score_practical(plan, "张伟", 60, "60.1")
    enrolment = enrolment_of(plan, "张伟")
    for user, value in zip(panel(plan, "theory"), ("59.9", 60), strict=True):
        submit(user, enrolment, "theory", value)
    result = result_of(plan, "张伟")
    assert (result.practical, result.theory) == (Decimal("60.1"), Decimal("60.0"))  # 60.05 and 59.95, half up
    assert result.outcome == Result.Outcome.PASS


def test_absence_from_every_component_is_absent_and_from_one_is_a_fail(world, scoring_plan):
    marker = panel(scoring_plan, "theory")[0]
    first = panel(scoring_plan, "practical")[0]
    absent = enrolment_of(scoring_plan, "张伟")
    submit(marker, absent, "theory", outcome="absent")
    assert result_of(scoring_plan, "张伟").outcome == Result.Outcome.INCOMPLETE
    submit(first, absent, "practical", outcome="absent")
    result = result_of(scoring_plan, "张伟")
    assert (result.outcome, result.detail, result.theory, result.practical) == (
        Result.Outcome.ABSENT,
        "缺考",
        None,
        None,
    )

    half = enrolment_of(scoring_plan, "王芳")
    submit(marker, half, "theory", outcome="absent")
    score_practical(scoring_plan, "王芳", 90, 90, 90)
    result = result_of(scoring_plan, "王芳")
    assert (result.outcome, result.detail, result.practical) == (
        Result.Outcome.FAIL,
        "未达合格线：理论知识",
        Decimal("90.0"),
    )


def test_a_disqualification_by_any_assessor_disqualifies_the_candidate(world, scoring_plan):
    score_everyone(scoring_plan, dict.fromkeys(NAMES, (90, 90)))
    user = panel(scoring_plan, "practical")[1]
    score = Score.objects.get(assessor=user, enrolment=enrolment_of(scoring_plan, "李娜"))
    score_correct(actor=user, score=score, outcome="disqualified", reason="考核中使用违规量具，监考记录在案")
    result = result_of(scoring_plan, "李娜")
    assert (result.outcome, result.detail) == (Result.Outcome.DISQUALIFIED, "考试违纪，取消资格")
    assert result_of(scoring_plan, "张伟").outcome == Result.Outcome.PASS


# --- levels 2 and 1: the comprehensive review ---------------------------------------------------
@pytest.fixture
def level2_scoring(world, assessors, filings, today):
    return to_scoring(world, make_level2_plan(world, assessors, today), today=today)


def test_a_technician_result_waits_for_the_review(world, level2_scoring):
    plan = level2_scoring
    enrolment = enrolment_of(plan, "赵强")
    submit(panel(plan, "theory")[0], enrolment, "theory", 80)
    score_practical(plan, "赵强", 80, 80, 80)
    result = result_of(plan, "赵强")
    assert (result.outcome, result.detail) == (Result.Outcome.INCOMPLETE, "尚缺成绩：综合评审")


def test_a_review_score_needs_one_of_the_standards_subscores(world, level2_scoring):
    reviewer = panel(level2_scoring, "review")[0]
    with pytest.raises(ValidationError) as caught:
        submit(reviewer, enrolment_of(level2_scoring, "赵强"), "review", 80)
    assert caught.value.message_dict == {"subscore": ["请选择评审分项：个人素质、工作业绩、创新能力"]}


def test_the_review_is_each_assessors_weighted_subscores_then_their_mean(world, level2_scoring):
    plan = level2_scoring
    enrolment = enrolment_of(plan, "赵强")
    submit(panel(plan, "theory")[0], enrolment, "theory", 80)
    score_practical(plan, "赵强", 80, 80, 80)
    # Weights 30/40/30: 70.0, 90.0 and 62.2 → mean 74.0667.
    score_review(plan, "赵强", [(80, 70, 60), (90, 90, 90), ("61.1", "62.2", "63.3")])
    result = result_of(plan, "赵强")
    assert (result.review, result.outcome) == (Decimal("74.1"), Result.Outcome.PASS)


def test_a_technician_fails_on_the_review_alone(world, level2_scoring):
    plan = level2_scoring
    enrolment = enrolment_of(plan, "钱敏")
    submit(panel(plan, "theory")[0], enrolment, "theory", 95)
    score_practical(plan, "钱敏", 95, 95, 95)
    score_review(plan, "钱敏", [(60, 59, 60), (60, 59, 60), (60, 59, 60)])  # 59.6 each
    result = result_of(plan, "钱敏")
    assert (result.review, result.outcome, result.detail) == (
        Decimal("59.6"),
        Result.Outcome.FAIL,
        "未达合格线：综合评审",
    )
