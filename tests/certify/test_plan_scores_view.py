"""Issue 11 item 10: the reviewer sees, on the plan page where the results are approved, each
candidate's scores by assessor (not only the averages) and every correction with old value, new
value and reason; the plan's 办理记录 lists the score entries and corrections."""

import re

import pytest
from django.urls import reverse

from certify.models import PlanAssessor
from certify.services.scoring import score_correct, score_submit
from tests.helpers import page_queries

pytestmark = pytest.mark.django_db


def page(plan) -> str:
    return reverse("certify:plan_detail", args=[plan.organization_id, plan.pk])


def practical_panel(plan) -> list:
    return [m.user for m in PlanAssessor.objects.filter(plan=plan, duty="practical").order_by("pk")]


def section(html: str, anchor: str) -> str:
    start = html.index(f'<h2 id="{anchor}">')
    end = html.index("</table>", start)
    return html[start:end]


@pytest.fixture
def corrected_plan(world, scoring_plan):
    zhang = scoring_plan.enrolments.get(person__name="张伟")
    first, second, third = practical_panel(scoring_plan)
    score = score_submit(actor=first, enrolment=zhang, component="practical", value="70")
    score_submit(actor=second, enrolment=zhang, component="practical", value="82.5")
    score_submit(actor=third, enrolment=zhang, component="practical", outcome="absent")
    score_correct(actor=first, score=score, value="75", reason="漏加第3题得分")
    return scoring_plan


def test_the_reviewer_sees_every_assessors_score_and_each_correction(world, as_user, corrected_plan):
    first, second, third = practical_panel(corrected_plan)
    html = as_user(world.a_reviewer).get(page(corrected_plan)).content.decode()
    detail = section(html, "scores")
    assert "张伟" in detail and "操作技能" in detail
    assert re.search(rf"{first.get_full_name()}：<strong>75.0</strong> <span class=\"badge badge-warn\">已更正", detail)
    assert f"{second.get_full_name()}：<strong>82.5</strong>" in detail
    assert f"{third.get_full_name()}：<strong>缺考</strong>" in detail
    assert "70.0" not in detail  # the replaced score is shown as a correction, not as in force
    corrections = section(html, "corrections")
    row = re.search(r"<tr>\s*<td>张伟</td>.*?</tr>", corrections, re.S).group(0)
    assert first.get_full_name() in row
    assert re.search(r">70.0</td>.*<strong>75.0</strong>.*漏加第3题得分", row, re.S)
    # said beside the approval too
    assert "有 1 项成绩被更正过，审核前请查看" in html


def test_the_activity_log_lists_score_entries_and_corrections_in_words(world, as_user, corrected_plan):
    html = as_user(world.a_reviewer).get(page(corrected_plan)).content.decode()
    log = html[html.index("办理记录") :]
    assert log.count("提交成绩") == 3
    assert "张伟 · 操作技能 82.5" in log and "张伟 · 操作技能 缺考" in log
    assert "更正成绩" in log and "张伟 · 操作技能 70.0 → 75.0" in log and "漏加第3题得分" in log
    assert "practical" not in log and "absent" not in log


def test_an_assessor_of_the_plan_does_not_see_colleagues_scores_while_scoring(world, as_user, corrected_plan):
    html = as_user(world.a_assessor).get(page(corrected_plan)).content.decode()
    assert "成绩明细" not in html and "82.5" not in html
    log = html[html.index("办理记录") :]
    assert "张伟 · 操作技能" in log  # who entered what, without the values


def test_on_the_candidates_page_too_an_assessor_sees_only_their_own_scores_while_scoring(
    world, as_user, corrected_plan
):
    """Found while building the plan page: the candidate's page showed every assessor's values."""
    zhang = corrected_plan.enrolments.get(person__name="张伟")
    _first, second, _third = practical_panel(corrected_plan)
    url = reverse("certify:enrolment_detail", args=[corrected_plan.organization_id, corrected_plan.pk, zhang.pk])

    own = as_user(second).get(url).content.decode()
    assert "82.5" in own and "75.0" not in own and "评分期间只显示您本人录入的成绩" in own
    reviewer = as_user(world.a_reviewer).get(url).content.decode()
    assert "82.5" in reviewer and "75.0" in reviewer


def test_the_plan_page_queries_do_not_grow_with_the_scores(world, as_user, scoring_plan):
    panel = practical_panel(scoring_plan)
    enrolments = list(scoring_plan.enrolments.order_by("pk"))
    for user in panel:
        score_submit(actor=user, enrolment=enrolments[0], component="practical", value="80")
    client = as_user(world.a_reviewer)
    few = page_queries(client, page(scoring_plan))
    for enrolment in enrolments[1:]:
        for user in panel:
            score_submit(actor=user, enrolment=enrolment, component="practical", value="80")
    assert page_queries(client, page(scoring_plan)) == few
