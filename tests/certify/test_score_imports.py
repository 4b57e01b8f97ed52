"""Score sheets from Excel: the template, every refusal at its row and column, all or nothing."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from audit.events import EventType
from audit.models import AuditEvent
from audit.verify import verify_chain
from certify.models import Enrolment, PlanAssessor, Result, Score
from certify.services.enrolments import enrolment_register
from certify.services.imports import (
    score_columns,
    scores_import,
    scores_template,
)
from certify.services.plans import (
    assessor_add,
    plan_begin_scoring,
    plan_file,
    plan_start,
    recusal_declare,
)
from certify.services.scoring import score_submit
from lib.excel import read_table
from tests.builders import (
    assert_history_bound,
    error_messages,
    import_counts,
    import_rejected,
    last_event,
    more_practical_assessors,
    xlsx,
)
from tests.workflow import candidate, candidate_ids

pytestmark = pytest.mark.django_db

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "华"]


# --- score sheets ----------------------------------------------------------------------------
SCORE_HEADERS = ["证件号码", "姓名", "考核项目", "成绩", "情况"]


def practical(plan) -> list[PlanAssessor]:
    return list(PlanAssessor.objects.filter(plan=plan, duty="practical").select_related("user"))


def theory(plan) -> list[PlanAssessor]:
    return list(PlanAssessor.objects.filter(plan=plan, duty="theory").select_related("user"))


def roster_of(plan) -> list[tuple[str, str]]:
    """(full ID number, name) of the plan's candidates, in registration order."""
    people = dict(zip(["张伟", "王芳", "李娜", "刘洋"], candidate_ids(4), strict=True))
    return [(people[e.person.name], e.person.name) for e in plan.enrolments.select_related("person").order_by("pk")]


def filled_template(plan, assessor, values: list) -> bytes:
    """The assessor's template with 成绩 (column G) or 情况 (column H) filled row by row."""
    workbook = load_workbook(io.BytesIO(scores_template(plan, assessor=assessor)))
    sheet = workbook.worksheets[0]
    for row, value in enumerate(values, start=2):
        if value in ("缺考", "违纪"):
            sheet.cell(row=row, column=8, value=value)
        else:
            sheet.cell(row=row, column=7, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_assessor_imports_their_practical_scores_from_the_template(world, scoring_plan):
    marker = practical(scoring_plan)[0].user
    content = filled_template(scoring_plan, marker, [85, 72.5, "缺考", 90])

    result = scores_import(actor=marker, plan=scoring_plan, file=content, filename="成绩.xlsx")

    assert (result.scores_created, result.absent, result.results_refreshed) == (4, 1, 4)
    scores = Score.objects.filter(plan=scoring_plan, assessor=marker).order_by("enrolment_id")
    assert [(s.component, s.value, s.outcome, s.source) for s in scores] == [
        ("practical", Decimal("85.0"), "scored", "import"),
        ("practical", Decimal("72.5"), "scored", "import"),
        ("practical", None, "absent", "import"),
        ("practical", Decimal("90.0"), "scored", "import"),
    ]
    assert Result.objects.filter(plan=scoring_plan, outcome=Result.Outcome.INCOMPLETE).count() == 4
    event = last_event()
    assert event.event_type == EventType.SCORES_IMPORTED
    assert event.actor_id == marker.pk
    assert event.data["sha256"] == hashlib.sha256(content).hexdigest()
    assert event.data["scores_created"] == 4 and event.data["by_component"] == {"practical": 4}
    assert_history_bound(event, "certify.HistoricalScore", 4)
    assert_history_bound(event, "certify.HistoricalResult", 4)
    assert AuditEvent.objects.filter(event_type=EventType.SCORES_IMPORTED).count() == 1
    assert verify_chain().ok


def test_full_id_numbers_without_the_reference_column_match_and_results_are_computed(world, scoring_plan):
    rows = [[number, name, "理论知识", 88] for number, name in roster_of(scoring_plan)]
    theory_marker = theory(scoring_plan)[0].user
    scores_import(actor=theory_marker, plan=scoring_plan, file=xlsx(SCORE_HEADERS, rows))
    for member in practical(scoring_plan):
        rows = [[number, name, "实操", 75] for number, name in roster_of(scoring_plan)]
        scores_import(actor=member.user, plan=scoring_plan, file=xlsx(SCORE_HEADERS, rows))

    outcomes = set(Result.objects.filter(plan=scoring_plan).values_list("outcome", "theory", "practical"))
    assert outcomes == {("pass", Decimal("88.0"), Decimal("75.0"))}


def test_rows_with_neither_score_nor_outcome_are_skipped_and_reported(world, scoring_plan):
    marker = practical(scoring_plan)[0].user
    content = filled_template(scoring_plan, marker, [85, None, 70, None])

    result = scores_import(actor=marker, plan=scoring_plan, file=content)

    assert result.scores_created == 2
    assert result.blank_rows == [3, 5]


def test_the_score_template_masks_id_numbers_and_lists_what_each_assessor_has_left(world, scoring_plan):
    marker = practical(scoring_plan)[0].user
    everyone = read_table(scores_template(scoring_plan), columns=score_columns())
    mine = read_table(scores_template(scoring_plan, assessor=marker), columns=score_columns())
    assert everyone.ok and mine.ok
    assert [row["component"] for _n, row in everyone.rows] == ["theory", "practical"] * 4
    assert [row["component"] for _n, row in mine.rows] == ["practical"] * 4
    raw = scores_template(scoring_plan)
    for number, _name in roster_of(scoring_plan):
        assert number.encode() not in raw
    assert all("********" in row["id_number"] for _n, row in everyone.rows)

    first = Enrolment.objects.filter(plan=scoring_plan).order_by("pk").first()
    score_submit(actor=marker, enrolment=first, component="practical", value=80)
    left = read_table(scores_template(scoring_plan, assessor=marker), columns=score_columns())
    assert [row["reference"] for _n, row in left.rows] == [
        str(e.pk) for e in Enrolment.objects.filter(plan=scoring_plan).order_by("pk")[1:]
    ]


def test_an_assessor_without_the_duty_for_the_component_is_refused(world, scoring_plan):
    invigilator = theory(scoring_plan)[0].user
    rows = [[number, name, "操作技能", 80] for number, name in roster_of(scoring_plan)[:2]]

    errors = import_rejected(
        lambda: scores_import(actor=invigilator, plan=scoring_plan, file=xlsx(SCORE_HEADERS, rows))
    )

    assert [(e.row, e.column) for e in errors] == [(2, "考核项目"), (3, "考核项目")]
    assert "不承担「操作技能」评分" in errors[0].message


@pytest.mark.parametrize("who", ["a_viewer", "a_operator", "a_org_admin", "b_operator"])
def test_a_user_not_assigned_to_the_plan_is_denied(world, scoring_plan, assessors, who):
    rows = [[number, name, "操作技能", 80] for number, name in roster_of(scoring_plan)[:1]]
    before = import_counts()

    with pytest.raises(PermissionDenied):
        scores_import(actor=getattr(world, who), plan=scoring_plan, file=xlsx(SCORE_HEADERS, rows))

    assert import_counts() == before


def test_an_assessor_of_the_organisation_not_on_the_plan_panel_is_denied(world, scoring_plan):
    from accounts.roles import Role
    from tests import factories

    outsider = factories.member(world.org_a, Role.ASSESSOR, actor=world.bureau_admin, username="a_assessor_idle")
    rows = [[number, name, "操作技能", 80] for number, name in roster_of(scoring_plan)[:1]]
    before = import_counts()

    with pytest.raises(PermissionDenied):
        scores_import(actor=outsider, plan=scoring_plan, file=xlsx(SCORE_HEADERS, rows))

    assert import_counts() == before


def test_a_plan_not_in_scoring_refuses_a_score_sheet(world, ready_plan, today):
    plan = plan_file(actor=world.a_operator, plan=ready_plan, today=today)
    plan = plan_start(actor=world.a_operator, plan=plan, today=plan.exam_date)
    marker = practical(plan)[0].user

    with pytest.raises(ValidationError, match="不在评分阶段"):
        scores_import(actor=marker, plan=plan, file=xlsx(SCORE_HEADERS, [["x", "张伟", "操作技能", 80]]))


@pytest.fixture
def recused_plan(world, plan_factory, assessors, today):
    """A plan in scoring where assessors[0] (practical) declared a relation with 张伟."""
    plan = plan_factory()
    enrolments = [
        enrolment_register(actor=world.a_operator, plan=plan, data=candidate(name, number))
        for name, number in zip(["张伟", "王芳", "李娜", "刘洋"], candidate_ids(4), strict=True)
    ]
    panel = [
        assessor_add(actor=world.a_operator, plan=plan, user=u, duty="practical", grade="assessor")
        for u in assessors[:3]
    ]
    panel += [
        assessor_add(actor=world.a_operator, plan=plan, user=u, duty="theory", grade="assessor") for u in assessors[3:]
    ]
    recusal_declare(actor=panel[0].user, assessor=panel[0], relations=[(enrolments[0], "relative", "表兄弟")])
    for member in panel[1:]:
        recusal_declare(actor=member.user, assessor=member, relations=[])
    more_practical_assessors(world, plan)  # 张伟 keeps a panel of 4 (issue 12: at least 3)
    plan_file(actor=world.a_operator, plan=plan, today=today)
    plan_start(actor=world.a_operator, plan=plan, today=plan.exam_date)
    return plan_begin_scoring(actor=world.a_operator, plan=plan)


def test_a_candidate_the_assessor_declared_a_relation_with_is_refused(world, recused_plan, assessors):
    rows = [[number, name, "操作技能", 80] for number, name in roster_of(recused_plan)]

    errors = import_rejected(
        lambda: scores_import(actor=assessors[0], plan=recused_plan, file=xlsx(SCORE_HEADERS, rows))
    )

    assert [e.row for e in errors] == [2]
    assert "回避关系" in errors[0].message
    names_left = [
        row["name"]
        for _n, row in read_table(scores_template(recused_plan, assessor=assessors[0]), columns=score_columns()).rows
    ]
    assert names_left == ["王芳", "李娜", "刘洋"]


def test_a_score_already_submitted_is_refused_not_overwritten(world, scoring_plan):
    marker = practical(scoring_plan)[0].user
    first = Enrolment.objects.filter(plan=scoring_plan).select_related("person").order_by("pk").first()
    score_submit(actor=marker, enrolment=first, component="practical", value=60)
    rows = [[number, name, "操作技能", 95] for number, name in roster_of(scoring_plan)]

    errors = import_rejected(lambda: scores_import(actor=marker, plan=scoring_plan, file=xlsx(SCORE_HEADERS, rows)))

    assert [e.row for e in errors] == [2]
    assert "已提交过该项成绩" in errors[0].message
    assert Score.objects.get(enrolment=first, assessor=marker).value == Decimal("60.0")


def test_the_same_candidate_and_component_twice_in_the_file_is_refused(world, scoring_plan):
    marker = practical(scoring_plan)[0].user
    (number, name), *_rest = roster_of(scoring_plan)
    rows = [[number, name, "操作技能", 80], [number, name, "操作", 81]]

    errors = import_rejected(lambda: scores_import(actor=marker, plan=scoring_plan, file=xlsx(SCORE_HEADERS, rows)))

    assert error_messages(errors) == ["第 3 行：与第 2 行重复（同一考生、同一考核项目），请删除重复的行"]


def test_scores_out_of_range_or_with_two_decimals_are_refused(world, scoring_plan):
    marker = practical(scoring_plan)[0].user
    people = roster_of(scoring_plan)
    rows = [
        [people[0][0], people[0][1], "操作技能", 100.5],
        [people[1][0], people[1][1], "操作技能", 85.55],
        [people[2][0], people[2][1], "操作技能", "八十"],
        [people[3][0], people[3][1], "操作技能", 70, "缺考"],
    ]

    errors = import_rejected(lambda: scores_import(actor=marker, plan=scoring_plan, file=xlsx(SCORE_HEADERS, rows)))

    assert error_messages(errors) == [
        "第 2 行「成绩」：成绩应在 0–100 之间",
        "第 3 行「成绩」：成绩最多保留 1 位小数",
        "第 4 行「成绩」：应填写数字，如 85 或 85.5",
        "第 5 行「成绩」：情况为「缺考」时「成绩」应留空",
    ]


def test_an_unknown_candidate_and_a_wrong_name_are_refused(world, scoring_plan):
    marker = practical(scoring_plan)[0].user
    people = roster_of(scoring_plan)
    stranger = candidate_ids(1, start=900)[0]
    rows = [
        [stranger, "陌生人", "操作技能", 80],
        [people[1][0], "王方", "操作技能", 80],
        [people[2][0], people[2][1], "操作技能", 80],
    ]

    errors = import_rejected(lambda: scores_import(actor=marker, plan=scoring_plan, file=xlsx(SCORE_HEADERS, rows)))

    assert [(e.row, e.column) for e in errors] == [(2, "证件号码"), (3, "姓名")]
    assert "本计划中没有证件号码为" in errors[0].message and stranger not in errors[0].message
    assert "王*" in errors[1].message


def test_a_masked_id_needs_the_reference_and_a_reference_must_agree_with_the_id(world, scoring_plan):
    marker = practical(scoring_plan)[0].user
    enrolments = list(Enrolment.objects.filter(plan=scoring_plan).select_related("person").order_by("pk"))
    headers = ["报名编号", *SCORE_HEADERS]
    rows = [
        ["", enrolments[0].person.id_number_masked, enrolments[0].person.name, "操作技能", 80],
        [str(enrolments[1].pk), enrolments[2].person.id_number_masked, enrolments[1].person.name, "操作技能", 80],
        ["999999", enrolments[3].person.id_number_masked, enrolments[3].person.name, "操作技能", 80],
    ]

    errors = import_rejected(lambda: scores_import(actor=marker, plan=scoring_plan, file=xlsx(headers, rows)))

    assert [(e.row, e.column) for e in errors] == [(2, "证件号码"), (3, "证件号码"), (4, "报名编号")]
    assert "保留模板中的「报名编号」" in errors[0].message


def test_a_sub_score_on_a_component_without_sub_scores_is_refused(world, scoring_plan):
    marker = practical(scoring_plan)[0].user
    number, name = roster_of(scoring_plan)[0]
    headers = ["证件号码", "姓名", "考核项目", "评审分项", "成绩"]

    errors = import_rejected(
        lambda: scores_import(
            actor=marker, plan=scoring_plan, file=xlsx(headers, [[number, name, "操作技能", "工作业绩", 80]])
        )
    )

    assert [(e.row, e.column) for e in errors] == [(2, "评审分项")]


def test_a_sheet_with_no_scores_filled_in_is_refused(world, scoring_plan):
    marker = practical(scoring_plan)[0].user

    errors = import_rejected(
        lambda: scores_import(actor=marker, plan=scoring_plan, file=scores_template(scoring_plan, assessor=marker))
    )

    assert "没有可导入的成绩" in str(errors[0])
