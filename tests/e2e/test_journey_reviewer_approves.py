"""Browser journey (issue 11): a reviewer approves a plan's results.

The reviewer signs in, finds the plan in the task inbox, opens it, reads the scores given by each
assessor and the table of corrected scores, approves (confirming the dialog) and sees the success
message; the plan is then waiting for its publicity.
"""

from __future__ import annotations

import pytest

from certify.models import AssessmentPlan, Score
from certify.services.scoring import score_correct
from tests.browser import requires_chromium, shot, sign_in
from tests.factories import PASSWORD
from tests.workflow import CLOSED_PLAN_MARKS, score_everyone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), requires_chromium]


def test_a_reviewer_approves_the_results_from_the_inbox(live_server, world, scoring_plan, desktop):
    plan = scoring_plan
    score_everyone(plan, CLOSED_PLAN_MARKS)
    wrong = Score.objects.filter(plan=plan, component="practical", enrolment__person__name="李娜").first()
    score_correct(actor=wrong.assessor, score=wrong, value="61", reason="誊写时看错一位")

    page = desktop
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server.url, world.a_reviewer.username, PASSWORD)
    page.goto(live_server.url + "/")
    item = page.locator("section.inbox li[data-inbox='plan.approve']")
    assert "待审核评价结果" in item.inner_text()
    shot(page, "journey-reviewer-1-inbox-1366")

    item.locator("a").click()
    page.wait_for_load_state("networkidle")
    assert f"/plans/{plan.pk}/" in page.url
    scores = page.locator("#scores ~ .tablewrap").first.inner_text()
    assert wrong.assessor.get_full_name() + "：61.0 已更正" in scores, "each assessor's own mark is shown"
    assert "本计划有 1 项成绩被更正过" in page.locator("#scores + .msg").inner_text()
    corrections = page.locator("#corrections + .tablewrap").inner_text()
    assert "誊写时看错一位" in corrections and "李娜" in corrections
    assert "61" in corrections
    shot(page, "journey-reviewer-2-scores-and-corrections-1366")

    questions = []
    page.once("dialog", lambda dialog: questions.append(dialog.message))
    page.click("[data-action=approve] button")
    page.wait_for_load_state("networkidle")
    assert questions == ["确认审核通过全部评价结果吗？"]
    assert "评价结果已审核通过，可以发布公示。" in page.locator(".messages").inner_text()
    plan.refresh_from_db()
    assert plan.status == AssessmentPlan.Status.RESULTS_APPROVED
    shot(page, "journey-reviewer-3-approved-1366")
