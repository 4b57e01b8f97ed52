"""Issue 11 item 1: the score sheet is one form. Values typed in other rows survive an error in one
row; each error shows at its cell saying what to fix; full-width digits and 。/． are accepted; a
draft is kept on the server; submitting the ticked rows needs a confirmation listing them; a
submitted row is locked with only 更正 offered; Enter saves the draft."""

import re

import pytest
from django.urls import reverse

from certify.models import Score, ScoreDraft
from certify.services.scoring import score_submit
from tests.helpers import assert_status

pytestmark = pytest.mark.django_db


def url(name, plan):
    return reverse(f"certify:{name}", args=[plan.organization_id, plan.pk])


def people(plan) -> dict:
    return {e.person.name: e for e in plan.enrolments.select_related("person")}


def cell(enrolment, column=0) -> str:
    return f"v_{enrolment.pk}_{column}"


def input_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    if match is None:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def test_an_error_in_one_row_keeps_every_typed_value_and_shows_at_its_cell(world, as_user, scoring_plan):
    p = people(scoring_plan)
    typed = {"张伟": "85", "王芳": "abc", "李娜": "101", "刘洋": "7"}
    data = {"action": "save", **{cell(p[name]): value for name, value in typed.items()}}
    response = as_user(world.a_assessor).post(url("score_sheet", scoring_plan), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert input_value(html, cell(p["张伟"])) == "85"
    assert input_value(html, cell(p["王芳"])) == "abc"
    assert input_value(html, cell(p["李娜"])) == "101"
    assert input_value(html, cell(p["刘洋"])) == "7"
    # each message under its own cell, in Chinese, saying what to fix
    wang = f'id="id_{cell(p["王芳"])}_error"'
    assert re.search(wang + r"[^>]*><li>「abc」不是成绩：请填写 0–100 的数字，例如 76.5</li>", html)
    assert re.search(rf'id="id_{cell(p["李娜"])}_error"[^>]*><li>成绩应在 0–100 之间，请改正</li>', html)
    assert f'id="id_{cell(p["张伟"])}_error"' not in html
    assert re.search(rf'<input[^>]*name="{cell(p["王芳"])}"[^>]*aria-invalid="true"', html)
    assert "有 2 处需要改正" in html
    assert not Score.objects.exists()


def test_full_width_digits_and_the_chinese_decimal_point_are_accepted_and_normalised(world, as_user, scoring_plan):
    p = people(scoring_plan)
    data = {"action": "save", cell(p["张伟"]): "７６．５", cell(p["王芳"]): "76。5", cell(p["李娜"]): "76．5"}
    response = as_user(world.a_assessor).post(url("score_sheet", scoring_plan), data)
    assert response.status_code == 302
    draft = ScoreDraft.objects.get(plan=scoring_plan, assessor=world.a_assessor)
    assert {v["value"] for v in draft.values.values()} == {"76.5"}
    # shown back as it will be read, also when another cell has an error
    shown = as_user(world.a_assessor).post(url("score_sheet", scoring_plan), {**data, cell(p["刘洋"]): "x"})
    assert input_value(shown.content.decode(), cell(p["张伟"])) == "76.5"
    submit = {cell(p["张伟"]): "７６．５", f"pick_{p['张伟'].pk}": "on", "confirm": "yes"}
    assert_status(as_user(world.a_assessor), "post", url("score_sheet_submit", scoring_plan), 302, submit)
    assert str(Score.objects.get(enrolment=p["张伟"], assessor=world.a_assessor).value) == "76.5"


def test_a_saved_draft_is_kept_on_the_server_and_shown_on_reload(world, as_user, scoring_plan):
    p = people(scoring_plan)
    client = as_user(world.a_assessor)
    data = {"action": "save", cell(p["张伟"]): "88", cell(p["王芳"]): "", f"o_{p['王芳'].pk}_0": "absent"}
    response = client.post(url("score_sheet", scoring_plan), data, follow=True)
    assert "已保存草稿，尚未提交" in response.content.decode()
    assert not Score.objects.exists()
    html = as_user(world.a_assessor).get(url("score_sheet", scoring_plan)).content.decode()
    assert input_value(html, cell(p["张伟"])) == "88"
    assert re.search(rf'name="o_{p["王芳"].pk}_0"[^>]*>.*?<option value="absent" selected>', html, re.S)
    # another assessor's sheet shows none of it
    other = as_user(world.a_reviewer)
    assert other.get(url("score_sheet", scoring_plan)).status_code == 403


def test_a_draft_with_a_bad_value_shows_its_message_again_after_reload(world, as_user, scoring_plan):
    p = people(scoring_plan)
    client = as_user(world.a_assessor)
    client.post(url("score_sheet", scoring_plan), {"action": "save", cell(p["张伟"]): "76.55"})
    html = client.get(url("score_sheet", scoring_plan)).content.decode()
    assert input_value(html, cell(p["张伟"])) == "76.55"
    assert "成绩最多保留 1 位小数，例如 76.5" in html


def test_submitting_needs_a_confirmation_listing_the_ticked_rows(world, as_user, scoring_plan):
    p = people(scoring_plan)
    client = as_user(world.a_assessor)
    data = {"action": "review", cell(p["张伟"]): "80", cell(p["王芳"]): "70", f"pick_{p['张伟'].pk}": "on"}
    response = client.post(url("score_sheet", scoring_plan), data)
    html = response.content.decode()
    assert response.status_code == 200 and "确认提交成绩" in html
    assert "张伟" in html and "王芳" not in html
    assert "确认提交这 1 名考生的成绩" in html
    assert not Score.objects.exists()
    # the draft kept both rows, ticked or not
    assert len(ScoreDraft.objects.get(assessor=world.a_assessor).values) == 2
    # posting the rows without the confirmation's own field shows the confirmation again
    unconfirmed = {cell(p["张伟"]): "80", f"pick_{p['张伟'].pk}": "on"}
    response = client.post(url("score_sheet_submit", scoring_plan), unconfirmed)
    assert "确认提交成绩" in response.content.decode()
    assert not Score.objects.exists()
    response = client.post(url("score_sheet_submit", scoring_plan), {**unconfirmed, "confirm": "yes"}, follow=True)
    assert "已提交 张伟 的 1 项成绩" in response.content.decode()
    assert list(Score.objects.values_list("enrolment__person__name", "value")) == [("张伟", 80)]
    # the submitted cell left the draft, the other row's value stays
    html = response.content.decode()
    assert input_value(html, cell(p["王芳"])) == "70"
    assert list(ScoreDraft.objects.get(assessor=world.a_assessor).values) == [f"{p['王芳'].pk}|practical|"]


def test_reviewing_without_a_ticked_row_or_with_an_empty_ticked_row_says_so(world, as_user, scoring_plan):
    p = people(scoring_plan)
    client = as_user(world.a_assessor)
    html = client.post(url("score_sheet", scoring_plan), {"action": "review", cell(p["张伟"]): "80"}).content.decode()
    assert "请先勾选要提交的考生" in html and input_value(html, cell(p["张伟"])) == "80"
    data = {"action": "review", f"pick_{p['王芳'].pk}": "on"}
    html = client.post(url("score_sheet", scoring_plan), data).content.decode()
    assert "该考生还没有填写成绩：请填写，或取消勾选" in html
    assert not Score.objects.exists()


def test_a_submitted_row_is_locked_with_only_correction_offered(world, as_user, scoring_plan):
    p = people(scoring_plan)
    score = score_submit(actor=world.a_assessor, enrolment=p["张伟"], component="practical", value=80)
    html = as_user(world.a_assessor).get(url("score_sheet", scoring_plan)).content.decode()
    row = re.search(rf'<tr id="row{p["张伟"].pk}">.*?</tr>', html, re.S).group(0)
    assert "已提交" in row and "80.0" in row
    assert "<input" not in row and "<button" not in row and "<select" not in row
    assert reverse("certify:score_correct", args=[scoring_plan.organization_id, scoring_plan.pk, score.pk]) in row
    other = re.search(rf'<tr id="row{p["王芳"].pk}">.*?</tr>', html, re.S).group(0)
    assert f'name="{cell(p["王芳"])}"' in other and f'name="pick_{p["王芳"].pk}"' in other


def test_enter_saves_the_draft_and_tab_walks_the_cells(world, as_user, scoring_plan):
    html = as_user(world.a_assessor).get(url("score_sheet", scoring_plan)).content.decode()
    form = re.search(r'<form method="post" action="[^"]*/scores/"[^>]*>.*?</form>', html, re.S).group(0)
    buttons = re.findall(r"<button[^>]*>", form)
    # implicit submission (Enter in a cell) presses the form's first submit button
    assert 'value="save"' in buttons[0] and 'value="review"' in buttons[1]
    assert "tabindex" not in form  # the natural order: tick, value, outcome, next row


def test_a_failing_cell_submits_nothing_and_names_the_candidate(world, as_user, scoring_plan):
    p = people(scoring_plan)
    client = as_user(world.a_assessor)
    score_submit(actor=world.a_assessor, enrolment=p["王芳"], component="practical", value=60)
    data = {
        cell(p["张伟"]): "80",
        f"pick_{p['张伟'].pk}": "on",
        cell(p["王芳"]): "90",
        f"pick_{p['王芳'].pk}": "on",
        "confirm": "yes",
    }
    html = client.post(url("score_sheet_submit", scoring_plan), data).content.decode()
    assert "王芳 的「操作技能」已提交过，不能再次提交" in html
    assert Score.objects.count() == 1


def test_a_correction_reads_full_width_and_shows_a_bad_value_at_its_field(world, as_user, scoring_plan):
    p = people(scoring_plan)
    score = score_submit(actor=world.a_assessor, enrolment=p["张伟"], component="practical", value=70)
    correct = reverse("certify:score_correct", args=[scoring_plan.organization_id, scoring_plan.pk, score.pk])
    client = as_user(world.a_assessor)
    response = client.post(correct, {"outcome": "scored", "value": "7O", "reason": "加总错误"})
    html = response.content.decode()
    field = html[html.index('name="value"') :]
    assert "成绩应为 0–100 的数字" in field[: field.index("</div>")]
    assert "加总错误" in html  # the reason typed is kept
    assert not Score.objects.filter(replaces=score).exists()
    assert client.post(correct, {"outcome": "scored", "value": "７５．５", "reason": "加总错误"}).status_code == 302
    assert str(Score.objects.get(replaces=score).value) == "75.5"


@pytest.fixture
def level2_scoring(world, assessors, filings, today):
    from tests.builders import make_level2_plan, to_scoring

    return to_scoring(world, make_level2_plan(world, assessors, today), today=today)


def test_a_sheet_with_a_practical_and_three_review_columns_submits_each_cell(world, as_user, assessors, level2_scoring):
    plan, user = level2_scoring, assessors[2]  # on the practical and the review panel
    zhao = plan.enrolments.get(person__name="赵强")
    client = as_user(user)
    html = client.get(url("score_sheet", plan)).content.decode()
    for heading in ("操作技能", "综合评审·个人素质", "综合评审·工作业绩", "综合评审·创新能力"):
        assert f"<th>{heading}</th>" in html
    data = {cell(zhao, 0): "８０", cell(zhao, 1): "90", cell(zhao, 2): "85．5", f"pick_{zhao.pk}": "on"}
    response = client.post(url("score_sheet_submit", plan), {**data, "confirm": "yes"})
    assert response.status_code == 302
    given = Score.objects.filter(enrolment=zhao, assessor=user).order_by("component", "subscore")
    assert sorted((s.component, s.subscore, str(s.value)) for s in given) == [
        ("practical", "", "80.0"),
        ("review", "个人素质", "90.0"),
        ("review", "工作业绩", "85.5"),
    ]
    html = client.get(url("score_sheet", plan)).content.decode()
    row = re.search(rf'<tr id="row{zhao.pk}">.*?</tr>', html, re.S).group(0)
    assert f'name="{cell(zhao, 3)}"' in row and f'name="pick_{zhao.pk}"' in row  # 创新能力 still open
    assert f'name="{cell(zhao, 0)}"' not in row and row.count("已提交") == 3


def test_the_sheet_queries_do_not_grow_with_submitted_rows_or_the_draft(world, as_user, scoring_plan):
    from tests.helpers import page_queries

    client = as_user(world.a_assessor)
    sheet = url("score_sheet", scoring_plan)
    open_rows = page_queries(client, sheet)
    p = people(scoring_plan)
    client.post(sheet, {"action": "save", **{cell(e): "60" for e in p.values()}})
    for enrolment in list(p.values())[:3]:
        score_submit(actor=world.a_assessor, enrolment=enrolment, component="practical", value=70)
    assert page_queries(client, sheet) == open_rows


def test_no_draft_is_kept_before_scoring(world, ready_plan):
    from django.core.exceptions import ValidationError

    from certify.services.score_drafts import score_draft_save

    with pytest.raises(ValidationError, match="评价计划不在评分阶段"):
        score_draft_save(actor=world.a_assessor, plan=ready_plan, values={})
    assert not ScoreDraft.objects.exists()


def test_a_draft_is_kept_only_by_a_scorer_and_replaced_on_each_save(world, scoring_plan):
    from django.core.exceptions import PermissionDenied

    from certify.services.score_drafts import score_draft_save

    values = {"1|practical|": {"value": "80", "outcome": "scored"}}
    with pytest.raises(PermissionDenied):
        score_draft_save(actor=world.a_operator, plan=scoring_plan, values=values)
    draft = score_draft_save(actor=world.a_assessor, plan=scoring_plan, values=values)
    assert draft.values == values
    score_draft_save(actor=world.a_assessor, plan=scoring_plan, values={})
    assert ScoreDraft.objects.get(pk=draft.pk).values == {}  # replaced, not merged
    assert ScoreDraft.objects.count() == 1
