"""Roster (报名名册) and score sheet (成绩表) imports: all or nothing, every bad row listed."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from audit.events import EventType
from audit.models import AuditEvent
from audit.verify import verify_chain
from certify.errors import ImportRejected
from certify.models import Enrolment, PlanAssessor
from certify.services.enrolments import enrolment_register
from certify.services.imports import (
    roster_columns,
    roster_import,
    roster_template,
)
from certify.services.plans import (
    plan_approve_results,
    plan_close,
    plan_file,
    plan_start_publicity,
)
from lib.excel import read_table
from tests.builders import (
    ROSTER_HEADERS,
    assert_history_bound,
    candidate_names,
    error_messages,
    import_counts,
    import_rejected,
    last_event,
    xlsx,
)
from tests.workflow import candidate, candidate_ids, score_everyone, valid_id

pytestmark = pytest.mark.django_db


# --- roster: the acceptance test ---------------------------------------------------------------
def test_a_500_row_roster_with_five_bad_rows_writes_nothing_and_the_corrected_file_imports_at_once(world, plan_factory):
    plan = plan_factory()
    ids, people = candidate_ids(500), candidate_names(500)
    good = [[name, number, 7] for name, number in zip(people, ids, strict=True)]
    bad = [list(row) for row in good]
    wrong_check = ids[10][:17] + ("0" if ids[10][17] != "0" else "1")
    bad[10][1] = wrong_check
    bad[100][1] = valid_id("44190019900230" + "100")  # 30 February, with a correct check character
    bad[200][1] = ids[150]
    bad[300][0] = ""
    as_float = next(i for i in range(400, 500) if ids[i].isdigit())
    bad[as_float][1] = float(ids[as_float])
    expected = {
        12: "校验位",
        102: "出生日期不存在",
        202: "与第 152 行的证件号码重复",
        302: "必填项",
        as_float + 2: "数字",
    }

    errors = import_rejected(
        lambda: roster_import(actor=world.a_operator, plan=plan, file=xlsx(ROSTER_HEADERS, bad), filename="名册.xlsx")
    )

    assert {e.row for e in errors} == set(expected)
    assert len(errors) == 5
    for error in errors:
        assert expected[error.row] in error.message, str(error)
    assert {e.column for e in errors} == {"证件号码", "姓名"}
    assert str(next(e for e in errors if e.row == 302)) == "第 302 行「姓名」：必填项，不能为空"

    content = xlsx(ROSTER_HEADERS, good)
    before = AuditEvent.objects.count()
    started = time.perf_counter()
    result = roster_import(actor=world.a_operator, plan=plan, file=io.BytesIO(content), filename="名册.xlsx")
    elapsed = time.perf_counter() - started
    print(f"\n500-row roster import on {plan._state.db}: {elapsed:.2f} s")

    assert (result.rows, result.persons_created, result.enrolments_created) == (500, 500, 500)
    assert Enrolment.objects.filter(plan=plan).count() == 500
    assert all(e.eligible for e in Enrolment.objects.filter(plan=plan))
    assert AuditEvent.objects.count() == before + 1
    event = last_event()
    assert event.event_type == EventType.ROSTER_IMPORTED
    assert event.actor_id == world.a_operator.pk
    assert event.organization_id == world.org_a.pk
    assert event.data["sha256"] == hashlib.sha256(content).hexdigest()
    assert event.data["filename"] == "名册.xlsx"
    assert event.data["enrolments_created"] == 500
    enrolment_history = assert_history_bound(event, "certify.HistoricalEnrolment", 500)
    assert_history_bound(event, "certify.HistoricalPerson", 500)
    history_model = Enrolment.history.model
    assert set(history_model.objects.filter(pk__in=enrolment_history).values_list("history_user", flat=True)) == {
        world.a_operator.pk
    }
    text = json.dumps(event.data, ensure_ascii=False)
    assert not any(number in text for number in ids)
    assert verify_chain().ok


# --- roster: single rules -----------------------------------------------------------------------
def test_it_refuses_a_promotion_candidate_who_meets_no_condition_and_says_what_is_missing(world, plan_factory):
    plan = plan_factory()
    content = xlsx(ROSTER_HEADERS, [["赵六", candidate_ids(1)[0], 2]])

    errors = import_rejected(lambda: roster_import(actor=world.a_operator, plan=plan, file=content))

    assert len(errors) == 1
    message = str(errors[0])
    assert message.startswith("第 2 行：申报四级/中级工：不符合申报条件")
    assert "6" in message  # the nearest condition: six years in the occupation


@pytest.mark.parametrize("role", ["a_assessor", "a_viewer", "a_reviewer", "b_operator"])
def test_a_user_without_the_right_to_register_candidates_is_denied(world, plan_factory, role):
    plan = plan_factory()
    content = xlsx(ROSTER_HEADERS, [["赵六", candidate_ids(1)[0], 7]])
    before = import_counts()

    with pytest.raises(PermissionDenied):
        roster_import(actor=getattr(world, role), plan=plan, file=content)

    assert import_counts() == before


def test_a_filed_plan_refuses_a_roster(world, ready_plan, today):
    plan = plan_file(actor=world.a_operator, plan=ready_plan, today=today)
    content = xlsx(ROSTER_HEADERS, [["赵六", candidate_ids(1, start=700)[0], 7]])
    before = import_counts()

    with pytest.raises(ValidationError, match="已报备"):
        roster_import(actor=world.a_operator, plan=plan, file=content)

    assert import_counts() == before


def test_a_csv_saved_by_excel_in_gbk_imports(world, plan_factory):
    plan = plan_factory()
    first, second = candidate_ids(2)
    text = (
        "姓名,证件类型,证件号码,从事本职业年限,劳务派遣,文化程度\r\n"
        f"王小明,身份证,{first},7,是,高中\r\n"
        f"李小红,,{second},6.5,否,技校\r\n"
    )

    result = roster_import(actor=world.a_operator, plan=plan, file=text.encode("gbk"), filename="名册.csv")

    assert result.enrolments_created == 2
    wang = Enrolment.objects.get(plan=plan, person__name="王小明")
    assert (wang.dispatched, wang.education, wang.years_in_occupation) == (True, "60", Decimal("7.0"))
    li = Enrolment.objects.get(plan=plan, person__name="李小红")
    assert (li.person.id_type, li.education, li.years_in_occupation) == ("resident_id", "47", Decimal("6.5"))


def test_reimporting_the_same_file_refuses_every_row_as_already_registered(world, plan_factory):
    plan = plan_factory()
    ids = candidate_ids(3)
    content = xlsx(ROSTER_HEADERS, [[name, number, 7] for name, number in zip(candidate_names(3), ids, strict=True)])
    roster_import(actor=world.a_operator, plan=plan, file=content)

    errors = import_rejected(lambda: roster_import(actor=world.a_operator, plan=plan, file=content))

    assert [e.row for e in errors] == [2, 3, 4]
    assert all(e.column == "证件号码" and "已在本计划中报名" in e.message for e in errors)


def test_a_candidate_registered_in_another_open_plan_of_the_same_level_is_refused(world, plan_factory):
    first, second = plan_factory(), plan_factory()
    content = xlsx(ROSTER_HEADERS, [["赵六", candidate_ids(1)[0], 7]])
    roster_import(actor=world.a_operator, plan=first, file=content)

    errors = import_rejected(lambda: roster_import(actor=world.a_operator, plan=second, file=content))

    assert first.number in errors[0].message


def test_a_known_person_given_another_name_is_refused_on_the_name_column(world, plan_factory):
    first, second = plan_factory(), plan_factory()
    number = candidate_ids(1)[0]
    enrolment_register(actor=world.a_operator, plan=first, data=candidate("张伟", number))

    before = import_counts()
    with pytest.raises(ImportRejected) as caught:
        roster_import(actor=world.a_operator, plan=second, file=xlsx(ROSTER_HEADERS, [["张卫", number, 7]]))

    # nothing of the import is written; the failed registry match itself is audited (issue 9, finding 4)
    assert import_counts()[:5] == before[:5] and import_counts()[5] == before[5] + 1
    assert last_event().event_type == "enrolment.registry_mismatch"
    name_errors = [e for e in caught.value.errors if e.column == "姓名"]
    assert len(name_errors) == 1
    assert "张*" in name_errors[0].message and "张卫" in name_errors[0].message


def test_a_prior_certificate_is_imported_and_counts_for_eligibility(world, plan_factory):
    plan = plan_factory()
    headers = [*ROSTER_HEADERS, "原证书等级", "原证书类型", "原证书编号", "原证书取得日期"]
    obtained = plan.exam_date - dt.timedelta(days=5 * 366)
    rows = [["钱七", candidate_ids(1)[0], 4.5, "五级", "职业资格证书", "0812003001234", obtained]]

    result = roster_import(actor=world.a_operator, plan=plan, file=xlsx(headers, rows))

    assert result.prior_certificates_created == 1
    enrolment = Enrolment.objects.get(plan=plan)
    assert enrolment.eligible
    prior = enrolment.prior_certificates.get()
    assert (prior.level, prior.kind, prior.number, prior.obtained_on) == (5, "qualification", "0812003001234", obtained)


def test_a_prior_certificate_given_in_part_needs_its_level_and_date(world, plan_factory):
    plan = plan_factory()
    headers = [*ROSTER_HEADERS, "原证书编号", "原证书等级", "原证书取得日期"]
    late = plan.exam_date + dt.timedelta(days=1)
    ids = candidate_ids(2)
    rows = [["钱七", ids[0], 7, "0812003001234", "", ""], ["孙八", ids[1], 7, "", 5, late]]

    errors = import_rejected(lambda: roster_import(actor=world.a_operator, plan=plan, file=xlsx(headers, rows)))

    assert sorted((e.row, e.column) for e in errors) == [
        (2, "原证书取得日期"),
        (2, "原证书等级"),
        (3, "原证书取得日期"),
    ]
    assert "晚于考核日期" in next(e for e in errors if e.row == 3).message


def test_decorated_headers_aliases_and_full_width_characters_are_accepted(world, plan_factory):
    plan = plan_factory()
    number = candidate_ids(1)[0]
    full_width = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    headers = ["*姓名（必填）", "身份证号码", "本职业工作年限", "入职日期", "本专业", "申报方式", "工号"]
    rows = [[" 周 九 ", full_width, "８", "2019年7月1日", "", "晋级", 10086]]

    roster_import(actor=world.a_operator, plan=plan, file=xlsx(headers, rows))

    enrolment = Enrolment.objects.select_related("person").get(plan=plan)
    assert enrolment.person.name == "周 九"
    assert enrolment.person.id_number_masked == number[:6] + "********" + number[-4:]
    assert (enrolment.hire_date, enrolment.diploma_in_field, enrolment.employee_number) == (
        dt.date(2019, 7, 1),
        True,
        "10086",
    )
    assert enrolment.route == Enrolment.Route.PROMOTION


def test_a_direct_grading_row_is_refused_where_the_plan_does_not_accept_direct_grading(world, plan_factory):
    plan = plan_factory()
    headers = [*ROSTER_HEADERS, "申报方式", "定级说明"]
    rows = [["吴十", candidate_ids(1)[0], 1, "定级", "数控加工技能突出，获市技能竞赛二等奖"]]

    errors = import_rejected(lambda: roster_import(actor=world.a_operator, plan=plan, file=xlsx(headers, rows)))

    assert [(e.row, e.column) for e in errors] == [(2, "申报方式")]
    assert "不接受定级" in errors[0].message


def test_a_hire_date_after_the_exam_and_a_malformed_phone_number_are_refused(world, plan_factory):
    plan = plan_factory()
    headers = [*ROSTER_HEADERS, "入职日期", "手机号码"]
    ids = candidate_ids(2)
    rows = [["郑一", ids[0], 7, plan.exam_date + dt.timedelta(days=1), ""], ["冯二", ids[1], 7, "", "138-0000-ABCD"]]

    errors = import_rejected(lambda: roster_import(actor=world.a_operator, plan=plan, file=xlsx(headers, rows)))

    assert [(e.row, e.column) for e in errors] == [(2, "入职日期"), (3, "手机号码")]


def test_a_file_with_a_header_and_no_candidates_is_refused(world, plan_factory):
    plan = plan_factory()

    errors = import_rejected(lambda: roster_import(actor=world.a_operator, plan=plan, file=xlsx(ROSTER_HEADERS, [])))

    assert "没有考生数据" in str(errors[0])


def test_a_file_without_a_required_column_is_refused_before_any_row(world, plan_factory):
    plan = plan_factory()

    errors = import_rejected(
        lambda: roster_import(
            actor=world.a_operator, plan=plan, file=xlsx(["姓名", "证件号码"], [["赵六", candidate_ids(1)[0]]])
        )
    )

    assert error_messages(errors) == ["缺少必填列「从事本职业年限」，请使用系统提供的模板，不要修改或删除表头"]


def test_importing_into_a_plan_with_declared_assessors_resets_their_declarations_once(world, ready_plan):
    declared = PlanAssessor.objects.filter(plan=ready_plan, declared_at__isnull=False).count()
    content = xlsx(
        ROSTER_HEADERS, [["郑一", candidate_ids(1, start=600)[0], 7], ["冯二", candidate_ids(1, start=601)[0], 7]]
    )

    result = roster_import(actor=world.a_operator, plan=ready_plan, file=content)

    assert declared == 5
    assert result.declarations_reset == 5
    assert not PlanAssessor.objects.filter(plan=ready_plan, declared_at__isnull=False).exists()
    assert_history_bound(last_event(), "certify.HistoricalPlanAssessor", 5)


def test_a_person_who_already_passed_this_level_elsewhere_is_imported_with_a_warning(
    world, scoring_plan, plan_factory, today
):
    score_everyone(scoring_plan, {n: (80, 80) for n in ["张伟", "王芳", "李娜", "刘洋"]})
    plan_approve_results(actor=world.a_reviewer, plan=scoring_plan)
    plan_start_publicity(actor=world.a_operator, plan=scoring_plan, today=scoring_plan.exam_date)
    scoring_plan.refresh_from_db()
    plan_close(actor=world.a_operator, plan=scoring_plan, today=scoring_plan.publicity_end + dt.timedelta(days=1))
    plan = plan_factory()
    number = candidate_ids(1)[0]  # 张伟 of the closed plan

    result = roster_import(actor=world.a_operator, plan=plan, file=xlsx(ROSTER_HEADERS, [["张伟", number, 7]]))

    assert result.persons_existing == 1 and result.persons_created == 0
    assert len(result.warnings) == 1
    assert str(result.warnings[0]).startswith("第 2 行：一人多证提示")
    warned = last_event().data["warnings"]
    assert [(w["row"], w["name"]) for w in warned] == [(2, "张伟")]
    assert number not in json.dumps(last_event().data, ensure_ascii=False)
    assert warned[0]["id_number"].count("*") == 8


def test_the_roster_template_reads_back_and_its_example_rows_are_refused(world, plan_factory):
    plan = plan_factory()
    template = roster_template()

    table = read_table(template, columns=roster_columns(), filename="模板.xlsx")

    assert table.ok, error_messages(table.errors)
    assert [row["name"] for _number, row in table.rows] == ["张三", "李四"]
    assert table.rows[1][1]["prior_level"] == "5"
    assert load_workbook(io.BytesIO(template)).sheetnames == ["报名名册", "填写说明"]
    errors = import_rejected(lambda: roster_import(actor=world.a_operator, plan=plan, file=template))
    assert {(e.row, e.column) for e in errors} >= {(2, "证件号码"), (3, "证件号码")}
    assert all("示例行" in e.message for e in errors if e.column == "证件号码")


def test_primary_school_and_other_education_are_read_apart_from_junior_school(world, plan_factory):
    plan = plan_factory()
    ids = candidate_ids(4)
    text = "姓名,证件号码,从事本职业年限,文化程度\r\n" + "".join(
        f"{name},{number},7,{education}\r\n"
        for name, number, education in zip(
            ["甲一", "乙二", "丙三", "丁四"], ids, ["初中", "小学", "其他", "初中及以下"], strict=True
        )
    )

    roster_import(actor=world.a_operator, plan=plan, file=text.encode("utf-8"), filename="名册.csv")

    education = dict(Enrolment.objects.filter(plan=plan).values_list("person__name", "education"))
    assert education == {"甲一": "70", "乙二": "80", "丙三": "90", "丁四": "70"}
