"""Publicity (公示): its length in working days under the official calendar and the bureau's own
entries, objections inside the period, resolution through reasoned corrections, and closing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from certify.models import AssessmentPlan, CalendarDay, Objection, PlanAssessor, Result, Score
from certify.services import calendar
from certify.services.filings import ScopeSpec, filing_create
from certify.services.plans import plan_approve_results, plan_close, plan_start_publicity, results_deadline
from certify.services.publicity import objection_record, objection_resolve
from certify.services.scoring import score_correct, score_submit
from tests.builders import add_panel, declare_all, messages, register_all, to_scoring
from tests.helpers import assert_one_event
from tests.workflow import occ, score_everyone

pytestmark = pytest.mark.django_db

S = AssessmentPlan.Status
D = dt.date
NAMES = ["张伟", "王芳", "李娜", "刘洋"]
FILED_ON = D(2026, 9, 1)
EXAM = D(2026, 9, 21)
# The last working day before National Day 2026 (1–7 October off, Saturday 10 October worked).
BEFORE_NATIONAL_DAY = D(2026, 9, 29)
NATIONAL_DAY_END = D(2026, 10, 12)  # 30 Sep, 8 Oct, 9 Oct, Sat 10 Oct, Mon 12 Oct


@pytest.fixture
def filing_2026(world, filings):
    """A filing of org A for all of 2026, so the fixed dates below stay covered whatever today is."""
    return filing_create(
        actor=world.bureau_admin,
        organization=world.org_a,
        number="东人社评备〔2026〕088号",
        valid_from=D(2026, 1, 1),
        valid_until=D(2026, 12, 31),
        scopes=[ScopeSpec(occupation=occ("6-18-01-01"), work_type=None, levels=(4,))],
    )


@pytest.fixture
def approved(world, plan_factory, assessors, filing_2026):
    """Results approved for an exam on 21 September 2026: 王芳 failed the practical at 58."""
    plan = plan_factory(exam_date=EXAM)
    register_all(world, plan, NAMES)
    add_panel(world, plan, practical=assessors[:3], theory=assessors[3:5])
    declare_all(plan)
    plan = to_scoring(world, plan, today=FILED_ON)
    score_everyone(plan, {"张伟": (80, 85), "王芳": (75, 58), "李娜": (70, 66), "刘洋": (90, 91)})
    return plan_approve_results(actor=world.a_reviewer, plan=plan)


@pytest.fixture
def publicity(world, approved):
    return plan_start_publicity(actor=world.a_operator, plan=approved, today=BEFORE_NATIONAL_DAY)


def record(world, plan, *, received_on=BEFORE_NATIONAL_DAY, enrolment=None, actor=None) -> Objection:
    return objection_record(
        actor=actor or world.a_operator,
        plan=plan,
        raised_by="王芳",
        contact="138****5678",
        content="本人操作技能成绩与现场评分表不符，请求复核",
        received_on=received_on,
        enrolment=enrolment,
    )


def wang_fang(plan):
    return plan.enrolments.get(person__name="王芳")


# --- the length of the period -------------------------------------------------------------------
def test_publicity_across_national_day_ends_five_working_days_later(world, approved, audit_probe):
    probe = audit_probe()
    plan = plan_start_publicity(actor=world.a_operator, plan=approved, today=BEFORE_NATIONAL_DAY)
    event = assert_one_event(
        probe, event_type="plan.publicity_started", actor=world.a_operator, organization=world.org_a
    )
    assert (plan.status, plan.publicity_start, plan.publicity_end) == (
        S.PUBLICITY,
        BEFORE_NATIONAL_DAY,
        NATIONAL_DAY_END,
    )
    deadline = results_deadline(plan)
    late = calendar.working_days_between(deadline, BEFORE_NATIONAL_DAY) if deadline < BEFORE_NATIONAL_DAY else 0
    assert event.data == {
        "start": "2026-09-29",
        "end": "2026-10-12",
        "working_days": 5,
        "deadline": deadline.isoformat(),
        "late_working_days": late,
    }


def test_the_publicity_length_follows_the_setting(world, approved):
    with override_settings(SKILLCERT_PUBLICITY_WORKING_DAYS=3):
        plan = plan_start_publicity(actor=world.a_operator, plan=approved, today=BEFORE_NATIONAL_DAY)
    assert plan.publicity_end == D(2026, 10, 9)


def test_spring_festival_2026_and_its_make_up_saturdays_are_counted(db):
    # 15–23 February off; Saturdays 14 and 28 February worked.
    assert calendar.add_working_days(D(2026, 2, 13), 5) == D(2026, 2, 27)
    assert calendar.add_working_days(D(2026, 2, 23), 5) == D(2026, 2, 28)
    assert calendar.working_days_between(D(2026, 2, 13), D(2026, 2, 24)) == 2


def test_a_day_entered_by_the_bureau_changes_the_count(world, approved, audit_probe):
    probe = audit_probe()
    entry = calendar.calendar_day_set(
        actor=world.bureau_admin, day=NATIONAL_DAY_END, is_working_day=False, note="台风红色预警停工"
    )
    event = assert_one_event(probe, event_type="calendar.day_set", actor=world.bureau_admin)
    assert event.organization_id is None
    assert event.data["changes"] == {"is_working_day": [None, False]}
    assert CalendarDay.objects.get() == entry
    plan = plan_start_publicity(actor=world.a_operator, plan=approved, today=BEFORE_NATIONAL_DAY)
    assert plan.publicity_end == D(2026, 10, 13)
    # A Sunday the bureau makes a working day counts as one.
    calendar.calendar_day_set(actor=world.bureau_admin, day=D(2026, 10, 11), is_working_day=True, note="调休上班")
    assert calendar.add_working_days(BEFORE_NATIONAL_DAY, 5) == D(2026, 10, 11)


def test_only_the_bureau_admin_enters_calendar_days(world):
    for user in (world.a_org_admin, world.bureau_auditor, world.supervisor):
        with pytest.raises(PermissionDenied, match="只有人社局管理员可以维护节假日安排"):
            calendar.calendar_day_set(actor=user, day=D(2026, 10, 12), is_working_day=False)
    calendar.calendar_day_set(actor=world.bureau_admin, day=D(2026, 10, 12), is_working_day=False)
    with pytest.raises(ValidationError, match="没有变化"):
        calendar.calendar_day_set(actor=world.bureau_admin, day=D(2026, 10, 12), is_working_day=False)


def test_calendar_warning_names_the_years_the_package_does_not_cover(world):
    assert calendar.calendar_warning(D(2026, 9, 29), D(2026, 10, 12)) == ""
    warning = calendar.calendar_warning(D(2098, 12, 1), D(2099, 1, 31))
    assert warning.startswith("2098、2099 年的法定节假日安排尚未录入，暂按周一至周五计算工作日")
    # Until then Monday to Friday are counted: Friday 2 January 2099 plus one working day is Monday.
    assert calendar.add_working_days(D(2099, 1, 2), 1) == D(2099, 1, 5)
    calendar.calendar_day_set(actor=world.bureau_admin, day=D(2099, 1, 5), is_working_day=False, note="元旦调休")
    assert calendar.calendar_warning(D(2098, 12, 1), D(2099, 1, 31)).startswith("2098 年的法定节假日安排尚未录入")
    assert calendar.add_working_days(D(2099, 1, 2), 1) == D(2099, 1, 6)


# --- objections -------------------------------------------------------------------------------
def test_objections_are_recorded_only_during_publicity(world, approved):
    with pytest.raises(ValidationError) as caught:
        record(world, approved)
    assert messages(caught) == "只有公示期内可以登记异议"
    plan = plan_start_publicity(actor=world.a_operator, plan=approved, today=BEFORE_NATIONAL_DAY)
    record(world, plan)
    objection = Objection.objects.get()
    objection_resolve(actor=world.a_operator, objection=objection, upheld=False, resolution="经复核评分表无误")
    plan_close(actor=world.a_operator, plan=plan, today=D(2026, 10, 13))
    with pytest.raises(ValidationError, match="只有公示期内可以登记异议"):
        record(world, plan, received_on=D(2026, 10, 12))


def test_an_objection_must_be_received_inside_the_period(world, publicity):
    for outside in (D(2026, 9, 28), D(2026, 10, 13)):
        with pytest.raises(ValidationError) as caught:
            record(world, publicity, received_on=outside)
        assert caught.value.message_dict == {"received_on": ["收到日期须在公示期内（2026-09-29 至 2026-10-12）"]}
    for inside in (BEFORE_NATIONAL_DAY, NATIONAL_DAY_END):
        record(world, publicity, received_on=inside)
    assert Objection.objects.filter(plan=publicity).count() == 2


def test_recording_an_objection_writes_one_event(world, publicity, audit_probe):
    probe = audit_probe()
    objection = record(world, publicity, enrolment=wang_fang(publicity))
    event = assert_one_event(probe, event_type="objection.recorded", actor=world.a_operator, organization=world.org_a)
    assert event.target_id == str(objection.pk)
    assert objection.status == Objection.Status.OPEN


def test_only_the_plans_organisation_records_objections(world, publicity):
    for user in (world.a_viewer, world.b_operator):
        with pytest.raises(PermissionDenied):
            record(world, publicity, actor=user)


def test_an_upheld_objection_needs_a_correction_citing_it(world, publicity, audit_probe):
    enrolment = wang_fang(publicity)
    objection = record(world, publicity, enrolment=enrolment)
    with pytest.raises(ValidationError) as caught:
        objection_resolve(actor=world.a_operator, objection=objection, upheld=True, resolution="复核后成绩有误")
    assert messages(caught) == "异议成立时，须先由考评员依据该异议更正成绩，再办结异议"

    assessor = PlanAssessor.objects.filter(plan=publicity, duty="practical").first().user
    score = Score.objects.get(assessor=assessor, enrolment=enrolment, component="practical")
    correction = score_correct(
        actor=assessor, score=score, value=67, reason="异议复核：评分表第 3 项漏计 9 分", objection=objection
    )
    assert correction.objection == objection
    result = Result.objects.get(enrolment=enrolment)
    assert (result.practical, result.outcome) == (Decimal("61.0"), Result.Outcome.PASS)  # (67 + 58 + 58) / 3

    probe = audit_probe()
    resolved = objection_resolve(
        actor=world.a_operator, objection=objection, upheld=True, resolution="异议成立，已按评分表更正成绩"
    )
    event = assert_one_event(probe, event_type="objection.resolved", actor=world.a_operator, organization=world.org_a)
    assert event.data["upheld"] is True and event.data["corrections"] == [correction.pk]
    assert event.reason == "异议成立，已按评分表更正成绩"
    assert (resolved.status, resolved.resolved_by) == (Objection.Status.UPHELD, world.a_operator)


def test_a_rejected_objection_needs_a_reason(world, publicity):
    objection = record(world, publicity)
    with pytest.raises(ValidationError) as caught:
        objection_resolve(actor=world.a_operator, objection=objection, upheld=False, resolution=" ")
    assert caught.value.message_dict == {"resolution": ["请写明处理结果和理由"]}
    resolved = objection_resolve(
        actor=world.a_operator, objection=objection, upheld=False, resolution="经调取现场评分表，成绩无误"
    )
    assert resolved.status == Objection.Status.REJECTED
    with pytest.raises(ValidationError, match="该异议已处理"):
        objection_resolve(actor=world.a_operator, objection=objection, upheld=False, resolution="重复处理")


def practical_score(plan, name: str) -> Score:
    assessor = PlanAssessor.objects.filter(plan=plan, duty="practical").order_by("pk").first().user
    return Score.objects.get(
        assessor=assessor, enrolment__person__name=name, enrolment__plan=plan, component="practical"
    )


def test_a_correction_cannot_cite_a_resolved_objection(world, publicity):
    objection = record(world, publicity, enrolment=wang_fang(publicity))
    objection_resolve(actor=world.a_operator, objection=objection, upheld=False, resolution="经复核成绩无误")
    score = practical_score(publicity, "王芳")
    # ``objection`` is the caller's copy, still marked open: the service must read the stored state.
    assert objection.status == Objection.Status.OPEN
    with pytest.raises(ValidationError) as caught:
        score_correct(actor=score.assessor, score=score, value=80, reason="依据异议更正", objection=objection)
    assert messages(caught) == "所依据的异议不是本计划待处理的异议，不能据此更正成绩"
    assert not Score.objects.filter(replaces=score).exists()


def test_an_objection_about_one_candidate_does_not_correct_another(world, publicity):
    objection = record(world, publicity, enrolment=wang_fang(publicity))
    score = practical_score(publicity, "张伟")
    with pytest.raises(ValidationError) as caught:
        score_correct(actor=score.assessor, score=score, value=95, reason="依据异议更正", objection=objection)
    assert messages(caught) == "所依据的异议针对其他考生，不能据此更正本成绩"


def test_a_correction_in_another_plan_cannot_cite_this_plans_objection(
    world, publicity, plan_factory, assessors, today
):
    objection = record(world, publicity)
    other = plan_factory()
    register_all(world, other, ["周杰"], start=50)
    add_panel(world, other, practical=assessors[:3], theory=assessors[3:5])
    declare_all(other)
    other = to_scoring(world, other, today=today)
    user = assessors[0]
    score = score_submit(actor=user, enrolment=other.enrolments.get(), component="practical", value=70)
    with pytest.raises(ValidationError) as caught:
        score_correct(actor=user, score=score, value=75, reason="借用异议", objection=objection)
    assert messages(caught) == "所依据的异议不是本计划待处理的异议，不能据此更正成绩"
    with pytest.raises(ValidationError, match="异议成立时，须先由考评员依据该异议更正成绩"):
        objection_resolve(actor=world.a_operator, objection=objection, upheld=True, resolution="已更正")


def test_the_plan_closes_only_after_the_period_with_no_open_objection(world, publicity, audit_probe):
    with pytest.raises(ValidationError) as caught:
        plan_close(actor=world.a_operator, plan=publicity, today=NATIONAL_DAY_END)
    assert caught.value.messages == ["评价计划暂不能结束：", "公示期已届满（截止 2026-10-12）"]
    objection = record(world, publicity, received_on=NATIONAL_DAY_END)
    with pytest.raises(ValidationError) as caught:
        plan_close(actor=world.a_operator, plan=publicity, today=D(2026, 10, 13))
    assert caught.value.messages == ["评价计划暂不能结束：", "没有待处理的异议（现有 1 件）"]
    objection_resolve(actor=world.a_operator, objection=objection, upheld=False, resolution="经复核成绩无误")
    probe = audit_probe()
    plan = plan_close(actor=world.a_operator, plan=publicity, today=D(2026, 10, 13))
    assert_one_event(probe, event_type="plan.closed", actor=world.a_operator, organization=world.org_a)
    assert plan.status == S.CLOSED
